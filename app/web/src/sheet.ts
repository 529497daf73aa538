// Reading the first rows of an import file in the browser, for the column mapping.

// parseCsv reads up to maxRows records of CSV text (RFC 4180 quoting, a UTF-8 BOM, commas,
// semicolons or tabs as detected from the first line).
export function parseCsv(text: string, maxRows = 6): string[][] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const firstLine = text.split(/\r?\n/, 1)[0] || '';
  const counts = [',', ';', '\t'].map((d) => [d, firstLine.split(d).length] as const);
  const delim = counts.sort((a, b) => b[1] - a[1])[0][0];
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
      continue;
    }
    if (ch === '"' && field === '') quoted = true;
    else if (ch === delim) {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      field = '';
      rows.push(row);
      row = [];
      if (rows.length >= maxRows) return rows;
    } else field += ch;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((c) => c.trim() !== ''));
}

async function inflate(data: Uint8Array): Promise<Uint8Array> {
  const ds = new DecompressionStream('deflate-raw');
  const stream = new Blob([data as BlobPart]).stream().pipeThrough(ds);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// unzipEntries lists a zip's entries (name → bytes) through its central directory.
async function unzip(buf: ArrayBuffer, wanted: (name: string) => boolean): Promise<Map<string, Uint8Array>> {
  const v = new DataView(buf);
  const u8 = new Uint8Array(buf);
  let eocd = -1;
  for (let i = buf.byteLength - 22; i >= Math.max(0, buf.byteLength - 65557); i--) {
    if (v.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file');
  const n = v.getUint16(eocd + 10, true);
  let p = v.getUint32(eocd + 16, true);
  const out = new Map<string, Uint8Array>();
  const dec = new TextDecoder();
  for (let k = 0; k < n; k++) {
    if (v.getUint32(p, true) !== 0x02014b50) break;
    const method = v.getUint16(p + 10, true);
    const csize = v.getUint32(p + 20, true);
    const nameLen = v.getUint16(p + 28, true);
    const extraLen = v.getUint16(p + 30, true);
    const commentLen = v.getUint16(p + 32, true);
    const local = v.getUint32(p + 42, true);
    const name = dec.decode(u8.subarray(p + 46, p + 46 + nameLen));
    p += 46 + nameLen + extraLen + commentLen;
    if (!wanted(name)) continue;
    const lnameLen = v.getUint16(local + 26, true);
    const lextraLen = v.getUint16(local + 28, true);
    const start = local + 30 + lnameLen + lextraLen;
    const raw = u8.subarray(start, start + csize);
    out.set(name, method === 0 ? raw : await inflate(raw));
  }
  return out;
}

function colIndex(ref: string): number {
  const letters = /^[A-Z]+/.exec(ref)?.[0] || 'A';
  let n = 0;
  for (const ch of letters) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n - 1;
}

// readXlsx reads up to maxRows rows of an XLSX workbook's first sheet.
export async function readXlsx(buf: ArrayBuffer, maxRows = 6): Promise<string[][]> {
  const files = await unzip(buf, (n) => n === 'xl/sharedStrings.xml' || /^xl\/worksheets\/sheet\d*\.xml$/.test(n) || n === 'xl/workbook.xml');
  const dec = new TextDecoder();
  const parser = new DOMParser();
  const shared: string[] = [];
  const ss = files.get('xl/sharedStrings.xml');
  if (ss) {
    const doc = parser.parseFromString(dec.decode(ss), 'application/xml');
    for (const si of Array.from(doc.getElementsByTagName('si'))) {
      shared.push(Array.from(si.getElementsByTagName('t')).map((t) => t.textContent || '').join(''));
    }
  }
  const sheetName = [...files.keys()].filter((n) => n.startsWith('xl/worksheets/')).sort()[0];
  if (!sheetName) return [];
  const doc = parser.parseFromString(dec.decode(files.get(sheetName)!), 'application/xml');
  const rows: string[][] = [];
  for (const r of Array.from(doc.getElementsByTagName('row'))) {
    const row: string[] = [];
    for (const c of Array.from(r.getElementsByTagName('c'))) {
      const idx = colIndex(c.getAttribute('r') || '');
      const type = c.getAttribute('t');
      let val = '';
      if (type === 's') val = shared[Number(c.getElementsByTagName('v')[0]?.textContent || '0')] ?? '';
      else if (type === 'inlineStr') val = Array.from(c.getElementsByTagName('t')).map((t) => t.textContent || '').join('');
      else val = c.getElementsByTagName('v')[0]?.textContent || '';
      while (row.length < idx) row.push('');
      row[idx] = val;
    }
    rows.push(row);
    if (rows.length >= maxRows) break;
  }
  return rows;
}

export async function readSheet(file: File, maxRows = 6): Promise<string[][]> {
  if (/\.xlsx$/i.test(file.name)) return readXlsx(await file.arrayBuffer(), maxRows);
  const head = await file.slice(0, 256 * 1024).text();
  return parseCsv(head, maxRows);
}
