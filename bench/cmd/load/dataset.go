package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// The customer archive of the benchmark tenant: realistic Chinese company records, generated
// from word lists with a fixed seed, so every run imports the same rows and every search term
// matches the same number of them.
//
// An enterprise name is composed the way Chinese company names are registered:
//
//	region (+市) + brand + industry (+ qualifier) + legal-form suffix
//	深圳市       华强    电子       科技          有限公司
//
// Brand words follow a Zipf-like law (a few brands are common, most are rare), as do
// regions; industries, qualifiers and suffixes have fixed weights. About 4 % of the rows are
// individual customers with a personal name. Names and phone numbers are unique, because the
// import skips a row whose name or phone is already in the tenant.

type city struct{ city, province string }

// regions are the cities a company is registered in, most active first.
var regions = []city{
	{"深圳", "广东"}, {"上海", "上海"}, {"北京", "北京"}, {"广州", "广东"}, {"杭州", "浙江"}, {"苏州", "江苏"},
	{"东莞", "广东"}, {"成都", "四川"}, {"南京", "江苏"}, {"武汉", "湖北"}, {"宁波", "浙江"}, {"佛山", "广东"},
	{"重庆", "重庆"}, {"天津", "天津"}, {"西安", "陕西"}, {"长沙", "湖南"}, {"郑州", "河南"}, {"青岛", "山东"},
	{"厦门", "福建"}, {"无锡", "江苏"}, {"合肥", "安徽"}, {"温州", "浙江"}, {"济南", "山东"}, {"福州", "福建"},
	{"昆明", "云南"}, {"大连", "辽宁"}, {"沈阳", "辽宁"}, {"珠海", "广东"}, {"中山", "广东"}, {"石家庄", "河北"},
	{"南昌", "江西"}, {"哈尔滨", "黑龙江"}, {"贵阳", "贵州"}, {"南宁", "广西"}, {"太原", "山西"}, {"义乌", "浙江"},
}

// brands are trade-name words (字号), most common first.
var brands = strings.Fields(`
	华强 东方 宏达 新元 金鹏 恒通 鑫源 瑞丰 中天 天成 永盛 嘉禾 盛世 海纳 博远 汇通 长城 联创
	正泰 远大 宏图 泰和 富华 华通 华信 中恒 金盛 荣达 振华 创新 星辰 蓝天 绿源 银河 凯达 华美
	通达 华瑞 恒信 鼎盛 万通 同创 金鼎 锦程 明德 安泰 力拓 飞腾 众诚 鸿运 宝丰 德信 协和 佳讯
	兴业 弘毅 天合 光明 巨人 华宇 金桥 新天地 大地 中科 汇丰 百川 方圆 启明 卓越 腾飞 东升 伟业
	盛达 利民 昌盛 旭日 鹏程 信达 精诚 君安 致远 和顺 日升 永泰 世纪 建华 国泰 立信 天宇 海天
	亿达 新华 康达 顺发 金达 阳光 智联 合力 高远 丰源 诚信 中联 凯旋 宏发 耀华 美达 润泽 华夏
	龙腾 金龙 恒丰 安达 晨光 瑞达 天马 新世纪 南方 北方 东海 西部 中原 江南 岭南 长江 黄河 泰山
	紫金 青松 翠微 春晖 秋实 瑞雪 云帆 远航 天翼 雄鹰 骏马 麒麟 凤凰 神州 九州 四海 五洲 万家`)

// industries are the business words of a name (行业), with the industry recorded for it.
type industryWord struct {
	word, industry string
	weight         float64
}

// wordWeight is a word and how often it is drawn, relative to its list.
type wordWeight struct {
	word   string
	weight float64
}

var industries = []industryWord{
	{"电子", "电子", 9}, {"贸易", "批发零售", 12}, {"机械", "机械制造", 8}, {"科技", "信息技术", 12},
	{"物流", "交通物流", 5}, {"建材", "建筑建材", 4}, {"化工", "化工", 3}, {"纺织", "纺织服装", 3},
	{"食品", "食品饮料", 4}, {"医药", "医药健康", 3}, {"电气", "电气设备", 4}, {"环保", "节能环保", 3},
	{"能源", "能源", 2}, {"信息", "信息技术", 4}, {"软件", "信息技术", 4}, {"通信", "通信", 2},
	{"汽车配件", "汽车", 2}, {"服装", "纺织服装", 3}, {"家具", "家居", 2}, {"五金", "五金制品", 3},
	{"塑胶", "橡胶塑料", 2}, {"印刷", "印刷包装", 1}, {"包装", "印刷包装", 2}, {"农业", "农林牧渔", 1},
	{"餐饮管理", "餐饮", 1}, {"文化传媒", "文化传媒", 2}, {"教育咨询", "教育", 1}, {"企业管理咨询", "商务服务", 2},
	{"装饰工程", "建筑建材", 2}, {"新材料", "新材料", 2}, {"光电", "电子", 2}, {"仪器仪表", "仪器仪表", 1},
	{"精密制造", "机械制造", 1}, {"实业", "综合", 3}, {"进出口", "批发零售", 3}, {"供应链管理", "交通物流", 2},
}

// qualifiers follow the industry word in some names (华强电子科技有限公司).
var qualifiers = []wordWeight{{"", 55}, {"科技", 15}, {"技术", 6}, {"实业", 5}, {"设备", 5}, {"发展", 4}, {"工程", 4}, {"服务", 3}, {"销售", 3}}

// suffixes are legal forms.
var suffixes = []wordWeight{{"有限公司", 62}, {"股份有限公司", 12}, {"有限责任公司", 10}, {"集团有限公司", 6}, {"集团股份有限公司", 1},
	{"商行", 3}, {"经营部", 3}, {"工作室", 2}, {"厂", 1}}

var surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
var givenChars = []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉斌宇浩凯健俊帆帅旭宁龙林欣怡佳琪晨阳雪梅婷慧颖倩建国志文海波峰")

var tagWords = []wordWeight{{"重点客户", 8}, {"老客户", 10}, {"展会", 6}, {"代理商", 5}, {"经销商", 6}, {"线上", 7}, {"待跟进", 9},
	{"VIP", 3}, {"政府项目", 2}, {"外贸", 4}, {"华南", 5}, {"华东", 5}, {"华北", 3}, {"西南", 2}, {"转介绍", 4}}

var stages = []wordWeight{{"潜在", 60}, {"意向", 25}, {"成交", 15}}

// weighted picks from weights (not necessarily normalised) by cumulative search.
type weighted struct{ cum []float64 }

func newWeighted(w []float64) weighted {
	c := make([]float64, len(w))
	s := 0.0
	for i, x := range w {
		s += x
		c[i] = s
	}
	return weighted{cum: c}
}

func (w weighted) pick(r *rand.Rand) int {
	x := r.Float64() * w.cum[len(w.cum)-1]
	lo, hi := 0, len(w.cum)-1
	for lo < hi {
		m := (lo + hi) / 2
		if w.cum[m] > x {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

func zipf(n int, s float64) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1 / math.Pow(float64(i+1), s)
	}
	return w
}

func (w wordWeight) w() float64 { return w.weight }

func weightsOf[T any](xs []T, f func(T) float64) []float64 {
	w := make([]float64, len(xs))
	for i, x := range xs {
		w[i] = f(x)
	}
	return w
}

// customerRow is one generated record.
type customerRow struct {
	Name, Type, Phone, Province, City, Industry, Tags, Stage string
}

// csvHeader are the file's columns, in order, and importMapping maps them to customer fields.
var csvHeader = []string{"公司名称", "类型", "电话", "省份", "城市", "行业", "标签", "客户阶段"}

var importMapping = map[string]string{"公司名称": "name", "类型": "type", "电话": "phone", "省份": "address.province",
	"城市": "address.city", "行业": "industry", "标签": "tags", "客户阶段": "stage"}

// generateCustomers makes n unique customer records from a fixed seed.
func generateCustomers(n int) []customerRow {
	r := rand.New(rand.NewPCG(20261123, 3))
	regionW := newWeighted(zipf(len(regions), 0.8))
	brandW := newWeighted(zipf(len(brands), 0.7))
	industryW := newWeighted(weightsOf(industries, func(x industryWord) float64 { return x.weight }))
	qualW := newWeighted(weightsOf(qualifiers, wordWeight.w))
	sufW := newWeighted(weightsOf(suffixes, wordWeight.w))
	tagW := newWeighted(weightsOf(tagWords, wordWeight.w))
	stageW := newWeighted(weightsOf(stages, wordWeight.w))
	mobilePrefixes := []string{"130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
		"155", "156", "158", "159", "166", "176", "177", "180", "181", "186", "187", "188", "189", "199"}

	names := make(map[string]bool, n)
	phones := make(map[string]bool, n)
	out := make([]customerRow, 0, n)
	for len(out) < n {
		var c customerRow
		reg := regions[regionW.pick(r)]
		c.Province, c.City = reg.province, reg.city
		if r.IntN(100) < 4 {
			c.Type = "个人"
			given := string(givenChars[r.IntN(len(givenChars))])
			if r.IntN(100) < 70 {
				given += string(givenChars[r.IntN(len(givenChars))])
			}
			c.Name = string(surnames[r.IntN(len(surnames))]) + given
			c.Industry = industries[industryW.pick(r)].industry
		} else {
			c.Type = "企业"
			ind := industries[industryW.pick(r)]
			q := qualifiers[qualW.pick(r)].word
			if q == ind.word || strings.HasSuffix(ind.word, q) {
				q = ""
			}
			city := reg.city
			if r.IntN(100) < 55 && reg.city != reg.province {
				city += "市"
			}
			c.Name = city + brands[brandW.pick(r)] + ind.word + q + suffixes[sufW.pick(r)].word
			c.Industry = ind.industry
			if r.IntN(100) < 12 { // registered in one city, based in another
				other := regions[regionW.pick(r)]
				c.Province, c.City = other.province, other.city
			}
		}
		if names[c.Name] {
			continue
		}
		for {
			c.Phone = mobilePrefixes[r.IntN(len(mobilePrefixes))] + fmt.Sprintf("%08d", r.IntN(100_000_000))
			if !phones[c.Phone] {
				break
			}
		}
		var tags []string
		for k := r.IntN(4); k > 0; k-- {
			t := tagWords[tagW.pick(r)].word
			if !contains(tags, t) {
				tags = append(tags, t)
			}
		}
		c.Tags = strings.Join(tags, "，")
		c.Stage = stages[stageW.pick(r)].word
		names[c.Name] = true
		phones[c.Phone] = true
		out = append(out, c)
	}
	return out
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// customersCSV renders rows as a UTF-8 CSV file (no BOM) with csvHeader.
func customersCSV(rows []customerRow) []byte {
	var b bytes.Buffer
	b.Grow(len(rows) * 110)
	w := csv.NewWriter(&b)
	_ = w.Write(csvHeader)
	for _, c := range rows {
		_ = w.Write([]string{c.Name, c.Type, c.Phone, c.Province, c.City, c.Industry, c.Tags, c.Stage})
	}
	w.Flush()
	return b.Bytes()
}

// searchTerms are the q values of the search scenarios: what a user types to find a company
// (a brand with its industry, a region with its brand, a brand, one character).
var searchTerms = map[string][]string{
	"search3": {"华强电子", "东方贸", "宏达机械", "深圳市新元", "金鹏科技", "九州光电"},
	"search2": {"华强", "宏达", "金鹏", "鑫源", "麒麟"},
	"search1": {"华", "鹏", "源", "麟"},
}

// countMatches is how many rows' names contain term: what the server's name search finds
// (it also matches exact phone numbers, which none of the terms is).
func countMatches(rows []customerRow, term string) int {
	n := 0
	for i := range rows {
		if strings.Contains(rows[i].Name, term) {
			n++
		}
	}
	return n
}

// stageCount is how many rows have a stage label.
func stageCount(rows []customerRow, label string) int {
	n := 0
	for i := range rows {
		if rows[i].Stage == label {
			n++
		}
	}
	return n
}
