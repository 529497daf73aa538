package problem

import (
	"fmt"
	"strings"

	"golang.org/x/text/language"
)

// Locales the product speaks. zh-CN is the default.
var Locales = []string{"zh-CN", "zh-TW", "en"}

var matcher = language.NewMatcher([]language.Tag{
	language.SimplifiedChinese, language.TraditionalChinese, language.English,
})

// MatchLocale picks the best supported locale for an Accept-Language header or a locale
// setting; ok is false when nothing in it matched (callers then fall back to the tenant's).
func MatchLocale(header string) (locale string, ok bool) {
	if strings.TrimSpace(header) == "" {
		return "zh-CN", false
	}
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(tags) == 0 {
		return "zh-CN", false
	}
	_, idx, conf := matcher.Match(tags...)
	if conf == language.No {
		return "zh-CN", false
	}
	return Locales[idx], true
}

// IsLocale reports whether l is one of Locales exactly.
func IsLocale(l string) bool {
	for _, x := range Locales {
		if x == l {
			return true
		}
	}
	return false
}

type msg struct{ zhCN, zhTW, en string }

func (m msg) in(locale string) string {
	switch locale {
	case "en":
		return m.en
	case "zh-TW":
		return m.zhTW
	default:
		return m.zhCN
	}
}

// catalog holds every user-facing message. Keys are stable; verbs are filled from Args.
var catalog = map[string]msg{
	// titles, one per code
	"title.validation_failed":      {"输入有误", "輸入有誤", "Invalid input"},
	"title.unauthenticated":        {"未登录", "未登入", "Not signed in"},
	"title.forbidden":              {"无权操作", "無權操作", "Forbidden"},
	"title.not_found":              {"未找到", "找不到", "Not found"},
	"title.conflict":               {"冲突", "衝突", "Conflict"},
	"title.gone":                   {"链接已失效", "連結已失效", "Gone"},
	"title.limit_reached":          {"已达上限", "已達上限", "Limit reached"},
	"title.rate_limited":           {"请求过于频繁", "請求過於頻繁", "Too many requests"},
	"title.tenant_suspended":       {"账户已停用", "帳戶已停用", "Account suspended"},
	"title.bad_request":            {"请求无效", "請求無效", "Bad request"},
	"title.payload_too_large":      {"请求内容过大", "請求內容過大", "Payload too large"},
	"title.unsupported_media_type": {"不支持的内容类型", "不支援的內容類型", "Unsupported media type"},
	"title.unavailable":            {"服务暂不可用", "服務暫不可用", "Service unavailable"},
	"title.bad_gateway":            {"插件应答无效", "外掛程式回應無效", "Bad answer from a plugin"},
	"title.internal":               {"服务器内部错误", "伺服器內部錯誤", "Internal error"},

	// details
	"validation_failed":        {"请检查标出的字段。", "請檢查標出的欄位。", "Please check the fields marked."},
	"not_found":                {"%s不存在。", "%s不存在。", "The %s does not exist."},
	"route_not_found":          {"没有这个接口。", "沒有這個介面。", "There is no such endpoint."},
	"method_not_allowed":       {"此接口不支持该方法。", "此介面不支援該方法。", "This endpoint does not support that method."},
	"unauthenticated":          {"请先登录。", "請先登入。", "Please sign in."},
	"bad_credentials":          {"企业、邮箱或密码不正确。", "企業、信箱或密碼不正確。", "Company, email or password is incorrect."},
	"bad_token":                {"访问令牌无效或已过期。", "存取權杖無效或已過期。", "The API token is invalid or has expired."},
	"csrf":                     {"缺少或错误的 CSRF 令牌。", "缺少或錯誤的 CSRF 權杖。", "Missing or wrong CSRF token."},
	"forbidden":                {"您的角色不允许此操作（%s：%s）。", "您的角色不允許此操作（%s：%s）。", "Your role does not allow this (%s: %s)."},
	"owner_only":               {"只有企业管理员可以这样做。", "只有企業管理員可以這樣做。", "Only the company owner can do this."},
	"tenant_suspended":         {"企业账户已停用，暂时不能修改数据。", "企業帳戶已停用，暫時不能修改資料。", "The company account is suspended; changes are not allowed."},
	"tenant_locked":            {"企业账户已停用。", "企業帳戶已停用。", "The company account is suspended."},
	"rate_limited":             {"尝试次数过多，请稍后再试。", "嘗試次數過多，請稍後再試。", "Too many attempts; please try again later."},
	"bad_json":                 {"请求体不是有效的 JSON。", "請求內容不是有效的 JSON。", "The request body is not valid JSON."},
	"bad_query":                {"查询参数无效。", "查詢參數無效。", "The query parameters are invalid."},
	"too_large":                {"请求内容超过上限。", "請求內容超過上限。", "The request body is too large."},
	"bad_encoding":             {"请求体的压缩数据已损坏。", "請求內容的壓縮資料已損毀。", "The compressed request body is corrupt."},
	"unsupported_encoding":     {"不支持该内容编码：请求体只能使用一层 gzip、deflate 或 br 压缩。", "不支援該內容編碼：請求內容只能使用一層 gzip、deflate 或 br 壓縮。", "Unsupported Content-Encoding: a request body may be compressed once, with gzip, deflate or br."},
	"unsupported_media":        {"请求体须为 application/json。", "請求內容須為 application/json。", "The request body must be application/json."},
	"internal":                 {"服务器出错了，我们已记录。", "伺服器出錯了，我們已記錄。", "Something went wrong on our side; it has been logged."},
	"unavailable":              {"服务暂时不可用。", "服務暫時不可用。", "The service is temporarily unavailable."},
	"plugin_unavailable":       {"插件暂时不可用。", "外掛程式暫時無法使用。", "The plugin is temporarily unavailable."},
	"slug_taken":               {"该企业标识已被使用。", "該企業識別碼已被使用。", "That company slug is already taken."},
	"email_taken":              {"该邮箱已被使用。", "該信箱已被使用。", "That email is already in use."},
	"version_conflict":         {"记录已被他人修改，请刷新后重试。", "紀錄已被他人修改，請重新整理後再試。", "The record was changed by someone else; reload and try again."},
	"department_not_empty":     {"部门下还有子部门或员工。", "部門下還有子部門或員工。", "The department still has sub-departments or staff."},
	"department_cycle":         {"上级部门不能是自己或下级部门。", "上級部門不能是自己或下級部門。", "A department cannot sit under itself or its own sub-department."},
	"manager_cycle":            {"直属上级不能是自己或下属。", "直屬上級不能是自己或下屬。", "A manager cannot be the user or one of their subordinates."},
	"role_grant_denied":        {"您不能授予或撤销“%s”角色：只能授予低于自己的角色，只有企业管理员可以任命企业管理员。", "您不能授予或撤銷「%s」角色：只能授予低於自己的角色，只有企業管理員可以任命企業管理員。", "You cannot grant or remove the role %q: you may grant only roles below your own, and only an owner makes an owner."},
	"owner_account_protected":  {"只有企业管理员可以修改企业管理员的账户。", "只有企業管理員可以修改企業管理員的帳戶。", "Only an owner can change an owner's account."},
	"export_too_large":         {"一次最多导出 %d 行，请缩小筛选范围后再导出。", "一次最多匯出 %d 列，請縮小篩選範圍後再匯出。", "One export holds at most %d rows: narrow the filter and export again."},
	"password_change_required": {"管理员重置了您的密码，请先设置自己的新密码。", "管理員重設了您的密碼，請先設定自己的新密碼。", "An owner reset your password: choose your own before you go on."},
	"password_self_only":       {"只有用户本人可以设置自己的密码（企业管理员可以重置）。", "只有使用者本人可以設定自己的密碼（企業管理員可以重設）。", "Only the user sets their own password (an owner may reset it)."},
	"last_owner":               {"企业至少要保留一位管理员。", "企業至少要保留一位管理員。", "The company must keep at least one owner."},
	"owner_role_fixed":         {"管理员角色不能修改。", "管理員角色不能修改。", "The owner role cannot be changed."},
	"role_in_use":              {"仍有用户使用该角色。", "仍有使用者使用該角色。", "Users still have this role."},
	"already_revoked":          {"令牌已撤销。", "權杖已撤銷。", "The token is already revoked."},
	"conflict_duplicate":       {"记录已存在。", "紀錄已存在。", "The record already exists."},
	"duplicate_warn":           {"可能与已有客户重复；确认仍要创建请设置 allow_duplicate。", "可能與既有客戶重複；確認仍要建立請設定 allow_duplicate。", "This may duplicate an existing customer; set allow_duplicate to create it anyway."},
	"duplicate_block":          {"与已有客户重复，请合并而不是新建。", "與既有客戶重複，請合併而非新建。", "This duplicates an existing customer; merge instead of creating."},
	"owner_required":           {"客户必须有负责人；要放回公海请用“释放”。", "客戶必須有負責人；要放回公海請用「釋放」。", "A customer needs an owner; release it to return it to the pool."},
	"not_deleted":              {"该记录不在回收站中。", "該紀錄不在資源回收筒中。", "The record is not in the recycle bin."},
	"transition":               {"不能从“%s”变为“%s”。", "不能從「%s」變為「%s」。", "Cannot go from %s to %s."},
	"merge_self":               {"不能把客户合并到它自己。", "不能把客戶合併到它自己。", "A customer cannot be merged into itself."},

	// public pool (CUS-8)
	"pool_not_in_pool":    {"该客户不在公海中。", "該客戶不在公海中。", "The customer is not in the public pool."},
	"pool_already_in":     {"该客户已在公海中。", "該客戶已在公海中。", "The customer is already in the public pool."},
	"pool_claim_first":    {"该客户在公海中，请先领取再修改。", "該客戶在公海中，請先領取再修改。", "The customer is in the public pool; claim it before changing it."},
	"pool_disabled":       {"本企业未启用公海。", "本企業未啟用公海。", "The public pool is not enabled for this company."},
	"pool_claim_limit":    {"已达到公海领取上限（%v 个）；请先释放已领取的客户。", "已達到公海領取上限（%v 個）；請先釋放已領取的客戶。", "You have reached your pool claim limit (%v); release a claimed customer first."},
	"pool_reclaim_barred": {"您最近放弃了该客户，%v 之后才能重新领取。", "您最近放棄了該客戶，%v 之後才能重新領取。", "You gave up this customer recently; you can claim it again after %v."},

	// customer import and export (CUS-10)
	"import.bad_file":         {"无法读取文件：请上传 UTF-8 编码的 CSV 或 XLSX 文件。", "無法讀取檔案：請上傳 UTF-8 編碼的 CSV 或 XLSX 檔案。", "The file cannot be read: upload a UTF-8 CSV or an XLSX workbook."},
	"import.empty_file":       {"文件中没有表头行。", "檔案中沒有標題列。", "The file has no header row."},
	"import.too_many_rows":    {"文件超过 %v 行的上限，请拆分后导入。", "檔案超過 %v 列的上限，請拆分後匯入。", "The file has more than %v rows; split it."},
	"import.file_too_large":   {"文件不能超过 %v MB。", "檔案不能超過 %v MB。", "The file may be at most %v MB."},
	"import.bad_mapping":      {"须为 JSON 对象：源列名 → 客户字段。", "須為 JSON 物件：來源欄名 → 客戶欄位。", "Must be a JSON object: source column → customer field."},
	"import.no_column":        {"文件中没有“%v”这一列。", "檔案中沒有「%v」這一欄。", "The file has no column “%v”."},
	"import.name_unmapped":    {"须有一列对应客户名称（name）。", "須有一欄對應客戶名稱（name）。", "One column must map to the customer name (name)."},
	"import.duplicate_target": {"多个列对应了同一字段 %v。", "多個欄對應了同一欄位 %v。", "Several columns map to the field %v."},
	"import.duplicate_hidden": {"与一位您无权修改的客户重复，未合并。", "與一位您無權修改的客戶重複，未合併。", "Duplicates a customer you may not change; not merged."},

	// uploaded sheets beyond their limits (app/sheet)
	"import.too_many_columns":   {"文件超过 %v 列的上限。", "檔案超過 %v 欄的上限。", "The file has more than %v columns."},
	"import.cell_too_long":      {"第 %v 行有单元格内容过长。", "第 %v 列有儲存格內容過長。", "Row %v has a cell that is too long."},
	"import.unzipped_too_large": {"工作簿解压后超过 %v MB，请拆分后导入。", "活頁簿解壓縮後超過 %v MB，請拆分後匯入。", "The workbook unpacks to more than %v MB; split it."},

	// field messages
	"field.required":         {"必填。", "必填。", "Required."},
	"field.invalid_format":   {"格式不正确。", "格式不正確。", "Invalid format."},
	"field.too_long":         {"不能超过 %v 个字符。", "不能超過 %v 個字元。", "At most %v characters."},
	"field.too_short":        {"至少 %v 个字符。", "至少 %v 個字元。", "At least %v characters."},
	"field.out_of_range":     {"超出允许范围。", "超出允許範圍。", "Out of the allowed range."},
	"field.invalid_choice":   {"必须是以下之一：%v。", "必須是以下之一：%v。", "Must be one of: %v."},
	"field.unknown_field":    {"不认识的字段。", "不認識的欄位。", "Unknown field."},
	"field.invalid_type":     {"类型不正确，应为 %v。", "類型不正確，應為 %v。", "Wrong type; expected %v."},
	"field.not_found":        {"引用的记录不存在。", "引用的紀錄不存在。", "The referenced record does not exist."},
	"field.slug":             {"只能包含小写字母、数字和连字符，3–40 个字符。", "只能包含小寫字母、數字和連字號，3–40 個字元。", "Lowercase letters, digits and hyphens only, 3–40 characters."},
	"field.weak_password":    {"密码至少 10 个字符。", "密碼至少 10 個字元。", "Passwords need at least 10 characters."},
	"field.tiers_order":      {"审批档位的金额必须递增，且最后一档不设上限。", "審批檔位的金額必須遞增，且最後一檔不設上限。", "Approval tier amounts must increase, and the last tier has no upper bound."},
	"field.unknown_role":     {"没有这个角色：%v。", "沒有這個角色：%v。", "No such role: %v."},
	"field.unknown_perm":     {"没有这个权限：%v。", "沒有這個權限：%v。", "No such permission: %v."},
	"field.invalid":          {"无效。", "無效。", "Invalid."},
	"field.amount":           {"须为不小于 0 的金额。", "須為不小於 0 的金額。", "Must be an amount of 0 or more."},
	"field.current_password": {"当前密码不正确。", "目前密碼不正確。", "The current password is not right."},
	"field.time_zone":        {"未知的时区。", "未知的時區。", "Unknown time zone."},
	"field.need_one_of":      {"请至少给出以下之一：%v。", "請至少提供以下之一：%v。", "Give at least one of: %v."},

	// custom field definitions and values (CUS-3)
	"field.custom_field_key":      {"字段标识须以小写字母开头，只含小写字母、数字和下划线，最多 40 个字符。", "欄位識別碼須以小寫字母開頭，只含小寫字母、數字和底線，最多 40 個字元。", "Start with a lowercase letter; lowercase letters, digits and underscores only, at most 40 characters."},
	"field.custom_field_taken":    {"字段标识重复。", "欄位識別碼重複。", "Another field already uses this key."},
	"field.options_not_allowed":   {"只有单选和多选字段可以设置选项。", "只有單選和多選欄位可以設定選項。", "Only choice and multi-choice fields have options."},
	"field.options_repeated":      {"选项“%v”重复。", "選項「%v」重複。", "The option %q appears twice."},
	"field.pool_key":              {"公海标识须以小写字母开头，只含小写字母、数字、下划线和连字符，最多 32 个字符，且不能是 default。", "公海識別碼須以小寫字母開頭，只含小寫字母、數字、底線和連字號，最多 32 個字元，且不能是 default。", "Start with a lowercase letter; lowercase letters, digits, underscores and hyphens only, at most 32 characters, and not \"default\"."},
	"field.pool_key_taken":        {"公海标识重复。", "公海識別碼重複。", "Another pool already uses this key."},
	"field.pool_department_taken": {"该部门已属于另一个公海。", "該部門已屬於另一個公海。", "This department already belongs to another pool."},
	"field.department_unknown":    {"没有这个部门。", "沒有這個部門。", "No such department."},
	"field.unknown_custom_field":  {"没有定义这个自定义字段。", "沒有定義這個自訂欄位。", "No custom field is defined with this key."},

	// entities, used in not_found
	"entity.user":       {"用户", "使用者", "user"},
	"entity.department": {"部门", "部門", "department"},
	"entity.role":       {"角色", "角色", "role"},
	"entity.tenant":     {"企业", "企業", "tenant"},
	"entity.api_token":  {"访问令牌", "存取權杖", "API token"},
	"entity.customer":   {"客户", "客戶", "customer"},
	"entity.contact":    {"联系人", "聯絡人", "contact"},
	"entity.job":        {"任务", "工作", "job"},
	"entity.record":     {"记录", "紀錄", "record"},
	"entity.plugin":     {"插件", "外掛程式", "plugin"},

	// customer timeline summaries (CUS-11)
	"timeline.customer.create":  {"创建了客户", "建立了客戶", "Customer created"},
	"timeline.customer.update":  {"修改了客户：%s", "修改了客戶：%s", "Customer changed: %s"},
	"timeline.customer.delete":  {"客户移入回收站", "客戶移入資源回收筒", "Customer moved to the recycle bin"},
	"timeline.customer.restore": {"客户从回收站恢复", "客戶從資源回收筒還原", "Customer restored from the recycle bin"},
	"timeline.customer.churn":   {"客户标记为流失", "客戶標記為流失", "Customer marked as churned"},
	"timeline.customer.merge":   {"合并了客户：%s", "合併了客戶：%s", "Customers merged: %s"},
	"timeline.customer.other":   {"客户记录：%s", "客戶紀錄：%s", "Customer record: %s"},
	"timeline.contact.create":   {"新增联系人 %s", "新增聯絡人 %s", "Contact %s added"},
	"timeline.contact.update":   {"修改了联系人 %s：%s", "修改了聯絡人 %s：%s", "Contact %s changed: %s"},
	"timeline.contact.delete":   {"删除了联系人 %s", "刪除了聯絡人 %s", "Contact %s removed"},
	"timeline.contact.merge":    {"联系人 %s 随合并转入", "聯絡人 %s 隨合併轉入", "Contact %s moved over by a merge"},
	"timeline.contact.other":    {"联系人 %s：%s", "聯絡人 %s：%s", "Contact %s: %s"},

	// follow-ups, leads, notifications (SAL-1, SAL-2, EXP-1, EXP-7)
	"followup_in_pool":            {"公海中的客户请先领取再跟进。", "公海中的客戶請先領取再跟進。", "This customer is in the public pool; claim it before following up."},
	"followup.next_after":         {"下次跟进时间必须晚于本次跟进时间。", "下次跟進時間必須晚於本次跟進時間。", "The next follow-up must come after this one."},
	"timeline.follow_up":          {"%s跟进：%s", "%s跟進：%s", "Follow-up by %s: %s"},
	"followup.method.phone":       {"电话", "電話", "phone"},
	"followup.method.email":       {"邮件", "郵件", "email"},
	"followup.method.visit":       {"拜访", "拜訪", "visit"},
	"followup.method.wechat":      {"微信", "微信", "WeChat"},
	"followup.method.sms":         {"短信", "簡訊", "SMS"},
	"followup.method.meeting":     {"会议", "會議", "meeting"},
	"followup.method.online":      {"线上", "線上", "online"},
	"entity.lead":                 {"线索", "線索", "lead"},
	"entity.notification":         {"通知", "通知", "notification"},
	"lead_converted":              {"线索已转化，不能再修改或转化。", "線索已轉換，不能再修改或轉換。", "The lead was converted already; it cannot change or convert again."},
	"lead_disqualified":           {"已判定无效的线索不能转化。", "已判定無效的線索不能轉換。", "A disqualified lead cannot be converted."},
	"lead_status_converted":       {"线索只能通过转化变为已转化状态。", "線索只能透過轉換變為已轉換狀態。", "A lead becomes converted only by converting it."},
	"notify.followup_due.title":   {"跟进提醒：%[1]s", "跟進提醒：%[1]s", "Follow-up due: %[1]s"},
	"notify.followup_due.body":    {"客户“%s”计划于 %s 跟进，现在到期了。", "客戶「%s」計畫於 %s 跟進，現在到期了。", "The follow-up of customer \"%s\" planned for %s is due now."},
	"notify.followup_early.title": {"即将跟进：%[1]s", "即將跟進：%[1]s", "Follow-up coming up: %[1]s"},
	"notify.followup_early.body":  {"客户“%s”计划于 %s 跟进，请做好准备。", "客戶「%s」計畫於 %s 跟進，請做好準備。", "The follow-up of customer \"%s\" is planned for %s."},
	"module_redirect_refused":     {"插件试图跳转到其范围以外的地址，已拒绝。", "外掛程式試圖轉向其範圍以外的位址，已拒絕。", "The plugin tried to redirect outside its own pages; refused."},
	"module_bad_request":          {"请求无法处理。", "請求無法處理。", "The request cannot be processed."},
	"module_forbidden":            {"您的角色不允许此操作。", "您的角色不允許此操作。", "Your role does not allow this."},
	"module_conflict":             {"该操作与记录的当前状态冲突。", "該操作與紀錄的目前狀態衝突。", "This conflicts with the record's current state."},
	"notify.followup_task.title":  {"跟进任务：%[1]s", "跟進任務：%[1]s", "Follow-up task: %[1]s"},
	"notify.followup_task.body":   {"请跟进客户“%s”：%s。%s", "請跟進客戶「%s」：%s。%s", "Follow up customer \"%s\": %s. %s"},
	"notify.lead_assigned.title":  {"新线索：%s", "新線索：%s", "New lead: %s"},
	"notify.lead_assigned.body":   {"线索“%s”已分配给您。", "線索「%s」已分配給您。", "The lead \"%s\" was assigned to you."},

	// sales: money, opportunities, products, quotes, contracts, orders, payments (SAL-3..6, EXP-4, EXP-6)
	"entity.opportunity":       {"商机", "商機", "opportunity"},
	"entity.product":           {"产品", "產品", "product"},
	"entity.quote":             {"报价单", "報價單", "quote"},
	"entity.contract":          {"合同", "合約", "contract"},
	"entity.order":             {"订单", "訂單", "order"},
	"entity.payment":           {"回款", "回款", "payment"},
	"entity.exchange_rate":     {"汇率", "匯率", "exchange rate"},
	"opportunity_closed":       {"商机已赢单或输单，不能再修改；如需修改请由经理重新打开。", "商機已贏單或輸單，不能再修改；如需修改請由經理重新開啟。", "The opportunity is closed (won or lost); a manager can reopen it."},
	"rate_exists":              {"该币种在这一天已有汇率。", "該幣別在這一天已有匯率。", "This currency already has a rate from that date."},
	"number_taken":             {"编号已被使用。", "編號已被使用。", "This number is already in use."},
	"receivable_paid":          {"该应收款已有回款核销，不能更改或撤销；请先更正回款。", "該應收款已有回款沖銷，不能更改或撤銷；請先更正回款。", "Payments already settle this receivable; correct the payments before changing or withdrawing it."},
	"contract_locked":          {"只有草稿或被驳回的合同可以修改。", "只有草稿或被駁回的合約可以修改。", "Only a draft or rejected contract can be changed."},
	"contract_not_signed":      {"合同尚未签署。", "合約尚未簽署。", "The contract is not signed yet."},
	"approval_tier":            {"此金额须由%s或更高级别的角色审批。", "此金額須由%s或更高級別的角色審批。", "This amount must be approved by the %s role or a more senior one."},
	"approve_own":              {"不能审批自己负责或提交的合同。", "不能審批自己負責或提交的合約。", "You cannot approve a contract you own or submitted."},
	"no_rate":                  {"%v 在 %v 没有可用汇率，请先录入汇率。", "%v 在 %v 沒有可用匯率，請先登錄匯率。", "No exchange rate for %v on %v; record one first."},
	"field.currency":           {"未知币种，请使用 ISO 4217 代码，如 CNY。", "未知幣別，請使用 ISO 4217 代碼，如 CNY。", "Unknown currency; use an ISO 4217 code such as CNY."},
	"field.money_decimals":     {"该币种最多 %v 位小数。", "該幣別最多 %v 位小數。", "At most %v decimals in this currency."},
	"field.rate":               {"须为大于 0 的汇率。", "須為大於 0 的匯率。", "Must be a rate greater than 0."},
	"field.base_currency_rate": {"本位币不需要汇率。", "本位幣不需要匯率。", "The base currency needs no exchange rate."},
	"field.lost_reason":        {"输单须填写原因。", "輸單須填寫原因。", "A lost opportunity needs a reason."},
	"field.lost_reason_open":   {"只有输单的商机才有输单原因。", "只有輸單的商機才有輸單原因。", "Only a lost opportunity has a lost reason."},
	"field.probability_closed": {"赢单的概率为 100，输单为 0。", "贏單的機率為 100，輸單為 0。", "Won is 100 percent, lost 0."},
	"field.currency_mismatch":  {"币种须与%v一致。", "幣別須與%v一致。", "Must be in the currency of the %v."},
	"field.other_customer":     {"须属于同一客户。", "須屬於同一客戶。", "Must belong to the same customer."},
	"field.plan_exceeds":       {"回款计划合计超过合同金额（%v）。", "回款計畫合計超過合約金額（%v）。", "The installments would exceed the contract amount (%v)."},
	"field.product_inactive":   {"该产品已停售。", "該產品已停售。", "The product is no longer sold."},
	"field.period":             {"请使用 2026、2026-03、2026-Q1 或 2026-01-01..2026-03-31。", "請使用 2026、2026-03、2026-Q1 或 2026-01-01..2026-03-31。", "Use 2026, 2026-03, 2026-Q1 or 2026-01-01..2026-03-31."},
	"field.dates_order":        {"结束日期不能早于开始日期。", "結束日期不能早於開始日期。", "The end date cannot be before the start date."},

	// sales: stage names and customer timeline lines
	"opportunity.stage.info_collection": {"信息收集", "資訊收集", "information gathering"},
	"opportunity.stage.initial_contact": {"初步接触", "初步接觸", "first contact"},
	"opportunity.stage.needs_analysis":  {"需求分析", "需求分析", "needs analysis"},
	"opportunity.stage.demo":            {"预约演示", "預約演示", "demo"},
	"opportunity.stage.proposal_quote":  {"方案报价", "方案報價", "proposal and quote"},
	"opportunity.stage.negotiation":     {"谈判签约", "談判簽約", "negotiation"},
	"opportunity.stage.won":             {"赢单", "贏單", "won"},
	"opportunity.stage.lost":            {"输单", "輸單", "lost"},
	"timeline.opportunity.create":       {"新建商机“%s”（%s，%s）", "新建商機「%s」（%s，%s）", "Opportunity %s created (%s, %s)"},
	"timeline.opportunity.stage":        {"商机“%s”：%s → %s", "商機「%s」：%s → %s", "Opportunity %s: %s → %s"},
	"timeline.contract.create":          {"新建合同 %s（%s）", "新建合約 %s（%s）", "Contract %s drafted (%s)"},
	"timeline.contract.sign":            {"合同 %s 已签署（%s）", "合約 %s 已簽署（%s）", "Contract %s signed (%s)"},
	"timeline.order.create":             {"订单 %s（%s）", "訂單 %s（%s）", "Order %s (%s)"},
	"timeline.payment.create":           {"收到回款 %s（%s）", "收到回款 %s（%s）", "Payment of %s received (%s)"},

	// customer needs (SAL-4)
	"entity.need":         {"客户需求", "客戶需求", "customer need"},
	"field.need_feedback": {"关闭需求前须填写给客户的反馈。", "關閉需求前須填寫給客戶的回饋。", "Give the feedback for the customer before closing the need."},

	// after-sales service: work orders, sign-off links, remote service (SVC-1, SVC-2)
	"entity.work_order":                  {"服务工单", "服務工單", "work order"},
	"entity.link":                        {"链接", "連結", "link"},
	"entity.remote_application":          {"异地服务申请", "異地服務申請", "remote-service application"},
	"service.number_pattern":             {"编号规则须含且只含一个 {SEQ} 或 {SEQ:n}（n 为 1–9），可用 {YYYY}、{YY}、{MM}、{DD}，不含空白，最多 64 个字符。", "編號規則須含且只含一個 {SEQ} 或 {SEQ:n}（n 為 1–9），可用 {YYYY}、{YY}、{MM}、{DD}，不含空白，最多 64 個字元。", "Use exactly one {SEQ} or {SEQ:n} (n from 1 to 9), optionally {YYYY}, {YY}, {MM}, {DD}; no spaces, at most 64 characters."},
	"service.type_reason":                {"工单类型与系统建议不同，请说明原因。", "工單類型與系統建議不同，請說明原因。", "The type differs from the proposed one; give the reason."},
	"service.locked":                     {"工单已完工，登记信息不能再修改。", "工單已完工，登記資訊不能再修改。", "The work is completed; its registration can no longer change."},
	"service.not_assigned":               {"只有该工单的服务人员或派工人员可以这样做。", "只有該工單的服務人員或派工人員可以這樣做。", "Only the work order's technician or a dispatcher can do this."},
	"service.not_technician":             {"该用户不能承接服务工单。", "該使用者不能承接服務工單。", "This user cannot carry out work orders."},
	"service.not_pooled":                 {"该工单不在共享工单池中。", "該工單不在共享工單池中。", "The work order is not in the shared pool."},
	"service.remote_not_approved":        {"异地服务申请尚未核准，不能开始服务。", "異地服務申請尚未核准，不能開始服務。", "The remote-service application is not approved yet; the work cannot start."},
	"service.no_record":                  {"请先填写服务记录再完工。", "請先填寫服務紀錄再完工。", "Record the work done before completing."},
	"service.countersign_own":            {"不能核签自己做的服务。", "不能核簽自己做的服務。", "You cannot countersign your own work."},
	"service.countersign_status":         {"工单完工后才能核签。", "工單完工後才能核簽。", "Work is countersigned once it is completed."},
	"service.countersigned":              {"工单已核签。", "工單已核簽。", "The work order is already countersigned."},
	"service.not_invoiced":               {"有偿服务须开具发票后才能结案。", "有償服務須開立發票後才能結案。", "Paid work is closed once it is invoiced."},
	"service.not_countersigned":          {"工单须经部门经理核签后才能结案。", "工單須經部門經理核簽後才能結案。", "The work order must be countersigned before it is closed."},
	"service.cancel_technician":          {"服务人员不能取消工单，请改为拒绝接单。", "服務人員不能取消工單，請改為拒絕接單。", "A technician cannot cancel a work order; decline it instead."},
	"service.times_order":                {"时间顺序不对：到达、开始、结束须依次发生。", "時間順序不對：到達、開始、結束須依次發生。", "Times out of order: arrival, start and end come one after the other."},
	"service.records_closed":             {"此时不能再添加服务记录（工单未接单、已核签或已结束）。", "此時不能再新增服務紀錄（工單未接單、已核簽或已結束）。", "Records cannot be added now (not accepted, countersigned or finished)."},
	"service.not_paid_work":              {"只有有偿服务才收费和开票。", "只有有償服務才收費和開票。", "Only paid work is charged and invoiced."},
	"service.charge_status":              {"服务开始后、开票前才能登记费用。", "服務開始後、開票前才能登記費用。", "A fee is recorded once the work has started and before it is invoiced."},
	"service.no_invoice_request":         {"没有待开的发票申请。", "沒有待開的發票申請。", "There is no invoice request to issue."},
	"service.sign_off_status":            {"工单完工后、客户签收前才能发送签收链接。", "工單完工後、客戶簽收前才能發送簽收連結。", "A sign-off link is sent once the work is completed and before it is signed off."},
	"service.signature":                  {"签名须为 PNG 或 JPEG 图片的 data URL。", "簽名須為 PNG 或 JPEG 圖片的 data URL。", "The signature must be a PNG or JPEG data URL."},
	"service.signature_size":             {"签名图片不能超过 %v KB。", "簽名圖片不能超過 %v KB。", "The signature image may be at most %v KB."},
	"service.link_gone":                  {"该链接已使用、已被新链接取代或已过期。", "該連結已使用、已被新連結取代或已過期。", "This link was used, replaced by a newer one, or has expired."},
	"service.remote_status":              {"只能在派工后、开始服务前（或暂停时）申请异地服务。", "只能在派工後、開始服務前（或暫停時）申請異地服務。", "Remote service is applied for after dispatch and before the work starts (or while it is on hold)."},
	"service.remote_pending":             {"已有一份待审批的异地服务申请。", "已有一份待審批的異地服務申請。", "An application for remote service is already pending."},
	"service.approve_own":                {"不能审批自己的申请。", "不能審批自己的申請。", "You cannot decide your own application."},
	"notify.work_order_dispatched.title": {"新服务工单：%[1]s", "新服務工單：%[1]s", "New work order: %[1]s"},
	"notify.work_order_dispatched.body":  {"服务工单 %s（%s）已派给您：%s", "服務工單 %s（%s）已派給您：%s", "Work order %s (%s) was dispatched to you: %s"},
	"timeline.work_order":                {"服务工单 %s：%s（%s）", "服務工單 %s：%s（%s）", "Work order %s: %s (%s)"},
	"service.action.register":            {"登记", "登記", "registered"},
	"service.action.update":              {"修改登记", "修改登記", "registration changed"},
	"service.action.dispatch":            {"派工", "派工", "dispatched"},
	"service.action.claim":               {"领取", "領取", "claimed"},
	"service.action.accept":              {"接单", "接單", "accepted"},
	"service.action.decline":             {"拒绝接单", "拒絕接單", "declined"},
	"service.action.start":               {"开始服务", "開始服務", "work started"},
	"service.action.hold":                {"暂停", "暫停", "put on hold"},
	"service.action.complete":            {"完工", "完工", "completed"},
	"service.action.countersign":         {"核签", "核簽", "countersigned"},
	"service.action.sign_off":            {"客户签收", "客戶簽收", "signed off by the customer"},
	"service.action.charge":              {"登记费用", "登記費用", "fee recorded"},
	"service.action.invoice":             {"开具发票", "開立發票", "invoiced"},
	"service.action.invoice_cancel":      {"作废发票", "作廢發票", "invoice cancelled"},
	"service.action.close":               {"结案", "結案", "closed"},
	"service.action.cancel":              {"取消", "取消", "cancelled"},
	"service.action.record":              {"填写服务记录", "填寫服務紀錄", "service record added"},
	"service.action.carry_over":          {"转入次日优先派工", "轉入次日優先派工", "carried over"},
	"service.action.remote_apply":        {"申请异地服务", "申請異地服務", "remote service applied for"},
	"service.action.remote_approve":      {"异地服务获准", "異地服務獲准", "remote service approved"},
	"service.action.remote_reject":       {"异地服务被驳回", "異地服務被駁回", "remote service rejected"},
	"service.status.registered":          {"已登记", "已登記", "registered"},
	"service.status.dispatched":          {"已派工", "已派工", "dispatched"},
	"service.status.accepted":            {"已接单", "已接單", "accepted"},
	"service.status.in_progress":         {"服务中", "服務中", "in progress"},
	"service.status.on_hold":             {"暂停", "暫停", "on hold"},
	"service.status.completed":           {"已完工", "已完工", "completed"},
	"service.status.signed_off":          {"已签收", "已簽收", "signed off"},
	"service.status.invoiced":            {"已开票", "已開票", "invoiced"},
	"service.status.closed":              {"已结案", "已結案", "closed"},
	"service.status.cancelled":           {"已取消", "已取消", "cancelled"},

	// sign-off link mailed to the contact (app/service)
	"service.sign_off_mail.subject": {"%s：请签收工单 %s 的服务", "%s：請簽收工單 %s 的服務", "%s: please sign off the service of work order %s"},
	"service.sign_off_mail.body": {"%s 您好：\n\n%s 已完成工单 %s（%s）的服务。请打开以下链接查看服务内容并签收：\n\n%s\n\n链接可使用一次，有效期至 %s。如有疑问，请直接回复或致电我们。",
		"%s 您好：\n\n%s 已完成工單 %s（%s）的服務。請開啟以下連結查看服務內容並簽收：\n\n%s\n\n連結可使用一次，有效期至 %s。如有疑問，請直接回覆或致電我們。",
		"Dear %s,\n\n%s has finished the service of work order %s (%s). Please open this link to review the work and sign it off:\n\n%s\n\nThe link can be used once, until %s. If anything is unclear, reply to this mail or call us."},

	// public links (app/publiclink)
	"publiclink.gone": {"该链接已使用、已失效或已过期。", "該連結已使用、已失效或已過期。", "This link was used, withdrawn or has expired."},

	// opinion surveys (app/survey)
	"entity.survey":         {"意见调查", "意見調查", "survey"},
	"survey.not_signed_off": {"工单经客户签收后才能记录意见调查。", "工單經客戶簽收後才能記錄意見調查。", "A survey is recorded once the customer has signed the work order off."},
	"survey.answered":       {"该工单的意见调查已有答复。", "該工單的意見調查已有答覆。", "The work order's survey is already answered."},
	"survey.mail.subject":   {"%s：请评价本次服务（工单 %s）", "%s：請評價本次服務（工單 %s）", "%s: how was our service? (work order %s)"},
	"survey.mail.body": {"%s 您好：\n\n感谢您选择%s。工单 %s 的服务已完成，服务人员：%s。请花一分钟评价服务人员的态度、技术、到达时间及答应事项的办理，并留下您的建议或意见：\n\n%s\n\n链接可使用一次，有效期至 %s。",
		"%s 您好：\n\n感謝您選擇%s。工單 %s 的服務已完成，服務人員：%s。請花一分鐘評價服務人員的態度、技術、到達時間及答應事項的辦理，並留下您的建議或意見：\n\n%s\n\n連結可使用一次，有效期至 %s。",
		"Dear %s,\n\nThank you for choosing %s. The service of work order %s is done; it was carried out by %s. Please take a minute to rate their attitude, technique, arrival time and how they kept their promises, and leave your suggestions or complaints:\n\n%s\n\nThe link can be used once, until %s."},
	"notify.survey_flagged.title":        {"意见调查中有投诉：%s", "意見調查中有投訴：%s", "Complaint in a survey: %s"},
	"notify.survey_flagged.body":         {"客户“%s”在工单 %s 的意见调查中提出投诉：%s", "客戶「%s」在工單 %s 的意見調查中提出投訴：%s", "The customer \"%s\" complained in the survey of work order %s: %s"},
	"timeline.survey.sent":               {"发出工单 %s 的意见调查", "發出工單 %s 的意見調查", "Survey of work order %s sent"},
	"timeline.survey.received":           {"收到工单 %s 的意见调查，评分 %s", "收到工單 %s 的意見調查，評分 %s", "Survey of work order %s received, score %s"},
	"timeline.survey.received_complaint": {"收到工单 %s 的意见调查，评分 %s，含投诉", "收到工單 %s 的意見調查，評分 %s，含投訴", "Survey of work order %s received, score %s, with a complaint"},

	// outgoing webhooks (app/webhook)
	"entity.webhook":                        {"Webhook 端点", "Webhook 端點", "webhook endpoint"},
	"entity.webhook_delivery":               {"Webhook 投递", "Webhook 投遞", "webhook delivery"},
	"webhook.invalid_url":                   {"请填写 http 或 https 地址（不含用户名和密码）。", "請填寫 http 或 https 網址（不含使用者名稱和密碼）。", "Give an http or https URL (without a user name or password)."},
	"webhook.blocked_address":               {"该地址指向本机、内网、链路本地或云元数据地址，不能接收 Webhook。", "該網址指向本機、內網、鏈路本地或雲端中繼資料位址，不能接收 Webhook。", "The URL points at a loopback, private, link-local or metadata address; webhooks are sent only to public addresses."},
	"webhook.unresolvable":                  {"无法解析该地址的主机名。", "無法解析該網址的主機名稱。", "The URL's host name does not resolve."},
	"webhook.unknown_event_type":            {"未知的事件类型：%s。", "未知的事件類型：%s。", "Unknown event type: %s."},
	"webhook.too_many":                      {"最多只能登记 %d 个 Webhook 端点。", "最多只能登記 %d 個 Webhook 端點。", "At most %d webhook endpoints can be registered."},
	"webhook.since_future":                  {"起始时间不能晚于现在。", "起始時間不能晚於現在。", "The start time cannot be in the future."},
	"notify.webhook_disabled_gone.title":    {"Webhook 端点已停用", "Webhook 端點已停用", "Webhook endpoint disabled"},
	"notify.webhook_disabled_gone.body":     {"接收方对 %s 回应 410（已不存在），该端点已停用。修复后可在 Webhook 设置中重新启用。", "接收方對 %s 回應 410（已不存在），該端點已停用。修復後可在 Webhook 設定中重新啟用。", "The receiver at %s answered 410 Gone, so the endpoint was disabled. Switch it on again in the webhook settings once it is fixed."},
	"notify.webhook_disabled_failing.title": {"Webhook 端点因持续失败已停用", "Webhook 端點因持續失敗已停用", "Webhook endpoint disabled after persistent failures"},
	"notify.webhook_disabled_failing.body":  {"向 %s 的投递在整个重试期内都失败了，该端点已停用。修复后可重新启用并重放失败的投递。", "向 %s 的投遞在整個重試期內都失敗了，該端點已停用。修復後可重新啟用並重放失敗的投遞。", "Deliveries to %s failed for the whole retry period, so the endpoint was disabled. Switch it on again and replay the failed deliveries once it is fixed."},
	// emergency incidents (app/incident)
	"entity.incident":                  {"应急事件", "應急事件", "incident"},
	"incident.customers_required":      {"请选择受影响的客户（客户 ID 或筛选条件）。", "請選擇受影響的客戶（客戶 ID 或篩選條件）。", "Name the affected customers (by ID or by a filter)."},
	"incident.filter_empty":            {"筛选条件至少要填一项。", "篩選條件至少要填一項。", "Give the filter at least one field."},
	"incident.no_match":                {"没有符合筛选条件的客户。", "沒有符合篩選條件的客戶。", "No customer matches the filter."},
	"incident.too_many":                {"受影响的客户不能超过 %d 个，请缩小范围。", "受影響的客戶不能超過 %d 個，請縮小範圍。", "At most %d customers can be affected; narrow the selection."},
	"incident.reviewed":                {"应急事件已完成复盘，不能再修改。", "應急事件已完成檢討，不能再修改。", "The incident has been reviewed; it can no longer change."},
	"incident.review_note":             {"复盘时请填写结论。", "檢討時請填寫結論。", "Write the review's conclusion in the note."},
	"incident.status.open":             {"已发生", "已發生", "open"},
	"incident.status.responding":       {"处置中", "處置中", "responding"},
	"incident.status.recovered":        {"已恢复", "已恢復", "recovered"},
	"incident.status.reviewed":         {"已复盘", "已檢討", "reviewed"},
	"timeline.incident.declare":        {"应急事件“%s”（%d级）发生，影响本客户", "應急事件「%s」（%d級）發生，影響本客戶", "Incident \"%s\" (level %d) declared, affecting this customer"},
	"timeline.incident.status":         {"应急事件“%s”（%d级）：%s", "應急事件「%s」（%d級）：%s", "Incident \"%s\" (level %d): %s"},
	"timeline.incident.update":         {"应急事件“%s”（%d级）有更新", "應急事件「%s」（%d級）有更新", "Incident \"%s\" (level %d) updated"},
	"notify.incident_owner.title":      {"您负责应急事件：%s", "您負責應急事件：%s", "You own the incident: %s"},
	"notify.incident_owner.body":       {"您被指定为应急事件“%s”（%d级）的负责人。", "您被指定為應急事件「%s」（%d級）的負責人。", "You were made the owner of the incident \"%s\" (level %d)."},
	"notify.incident_open.title":       {"应急事件：%s", "應急事件：%s", "Incident: %s"},
	"notify.incident_open.body":        {"应急事件“%s”（%d级）影响您的 %d 个客户：%s。请及时联系客户。", "應急事件「%s」（%d級）影響您的 %d 個客戶：%s。請及時聯絡客戶。", "The incident \"%s\" (level %d) affects %d of your customers: %s. Please contact them."},
	"notify.incident_responding.title": {"应急事件处置中：%s", "應急事件處置中：%s", "Incident response under way: %s"},
	"notify.incident_responding.body":  {"应急事件“%s”（%d级）已开始处置，影响您的 %d 个客户：%s。", "應急事件「%s」（%d級）已開始處置，影響您的 %d 個客戶：%s。", "The response to the incident \"%s\" (level %d) has started; it affects %d of your customers: %s."},
	"notify.incident_recovered.title":  {"应急事件已恢复：%s", "應急事件已恢復：%s", "Incident recovered: %s"},
	"notify.incident_recovered.body":   {"应急事件“%s”（%d级）已恢复，您的 %d 个客户受过影响：%s。", "應急事件「%s」（%d級）已恢復，您的 %d 個客戶受過影響：%s。", "Service is back after the incident \"%s\" (level %d), which affected %d of your customers: %s."},
	"notify.incident_reviewed.title":   {"应急事件已复盘：%s", "應急事件已檢討：%s", "Incident reviewed: %s"},
	"notify.incident_reviewed.body":    {"应急事件“%s”（%d级）已完成复盘，曾影响您的 %d 个客户：%s。", "應急事件「%s」（%d級）已完成檢討，曾影響您的 %d 個客戶：%s。", "The incident \"%s\" (level %d) has been reviewed; it affected %d of your customers: %s."},
	// complaints (app/complaint) and the working calendar (app/workday)
	"entity.complaint":                    {"客诉", "客訴", "complaint"},
	"entity.remedy":                       {"客诉处理方案", "客訴處理方案", "remedy"},
	"entity.penalty":                      {"客诉处分", "客訴處分", "penalty"},
	"complaint.number_pattern":            {"编号规则须包含且只包含一个 {SEQ}，可用 {YYYY} {YY} {MM} {DD}。", "編號規則須包含且只包含一個 {SEQ}，可用 {YYYY} {YY} {MM} {DD}。", "The pattern needs exactly one {SEQ} and may use {YYYY} {YY} {MM} {DD}."},
	"complaint.close_unresolved":          {"未解决的客诉只能以“不成立”结案。", "未解決的客訴只能以「不成立」結案。", "A complaint that was not resolved can only be closed as not established."},
	"complaint.plan_not_approved":         {"处理方案尚未全部审批，或没有获批的方案。", "處理方案尚未全部審批，或沒有獲批的方案。", "The plan still has remedies awaiting a decision, or none was approved."},
	"complaint.reopen_status":             {"只有已解决或已解决结案的客诉才能因客户不接受而重开。", "只有已解決或已解決結案的客訴才能因客戶不接受而重開。", "Only a resolved complaint (or one closed as resolved) can be reopened."},
	"complaint.reopened":                  {"此客诉已另开新案。", "此客訴已另開新案。", "A follow-up case was already opened for this complaint."},
	"complaint.closed":                    {"客诉已结案，不能再修改。", "客訴已結案，不能再修改。", "The complaint is closed; it can no longer change."},
	"complaint.remedy_status":             {"只有调查中或已提出方案的客诉才能添加处理方案。", "只有調查中或已提出方案的客訴才能新增處理方案。", "Remedies can only be proposed while the complaint is investigated or planned."},
	"complaint.currency":                  {"金额须以 %s 计。", "金額須以 %s 計。", "The amount must be in %s."},
	"complaint.approve_own":               {"不能审批自己提出的方案。", "不能審批自己提出的方案。", "You cannot decide a remedy you proposed."},
	"complaint.remedy_decided":            {"该方案已审批。", "該方案已審批。", "The remedy was decided already."},
	"complaint.penalty_decided":           {"该处分已审批。", "該處分已審批。", "The penalty was decided already."},
	"complaint.no_service":                {"售后服务模块未启用，不能开维修工单。", "售後服務模組未啟用，不能開維修工單。", "After-sales service is not available to open a repair work order."},
	"complaint.not_receivable":            {"只有已批准的退货才能签收。", "只有已核准的退貨才能簽收。", "Only an approved return can be received."},
	"complaint.not_postable":              {"只有仓储已签收的退货才能入账。", "只有倉儲已簽收的退貨才能入帳。", "Only a return the warehouse received can be posted."},
	"complaint.quantity_mismatch":         {"实退数量 %d 与核定退货数量 %d 不符。", "實退數量 %d 與核定退貨數量 %d 不符。", "The quantity received (%d) differs from the approved quantity (%d)."},
	"complaint.penalty_target":            {"请指定责任部门或责任人（二选一）。", "請指定責任部門或責任人（二選一）。", "Name either the responsible department or the responsible person."},
	"complaint.status.received":           {"已受理", "已受理", "received"},
	"complaint.status.investigating":      {"调查中", "調查中", "investigating"},
	"complaint.status.plan_proposed":      {"已提出方案", "已提出方案", "plan proposed"},
	"complaint.status.approved":           {"方案已批准", "方案已核准", "approved"},
	"complaint.status.resolving":          {"处理中", "處理中", "being resolved"},
	"complaint.status.resolved":           {"已解决", "已解決", "resolved"},
	"complaint.status.closed":             {"已结案", "已結案", "closed"},
	"complaint.status.waiting_customer":   {"等待客户", "等待客戶", "waiting for the customer"},
	"complaint.ack.subject":               {"%s：您的投诉已受理（编号 %s）", "%s：您的投訴已受理（編號 %s）", "%s: your complaint is registered (%s)"},
	"complaint.ack.body":                  {"%s 您好：\n\n我们已受理您的投诉，编号 %s。我们承诺在 %s 前给您答复。\n\n%s 客户服务部", "%s 您好：\n\n我們已受理您的投訴，編號 %s。我們承諾在 %s 前給您答覆。\n\n%s 客戶服務部", "Dear %s,\n\nWe have registered your complaint as %s and will answer by %s.\n\n%s customer service"},
	"timeline.complaint.intake":           {"客诉 %s 受理（%s）%s", "客訴 %s 受理（%s）%s", "Complaint %s received (%s) %s"},
	"timeline.complaint.transition":       {"客诉 %s：%s %s", "客訴 %s：%s %s", "Complaint %s: %s %s"},
	"timeline.complaint.reopen":           {"客诉 %s 客户不接受，另开新案 %[3]s", "客訴 %s 客戶不接受，另開新案 %[3]s", "Complaint %s not accepted by the customer; follow-up case %[3]s"},
	"notify.complaint_severe.title":       {"严重客诉：%s", "嚴重客訴：%s", "Severe complaint: %s"},
	"notify.complaint_severe.body":        {"严重客诉 %s 已受理，请核阅：%s", "嚴重客訴 %s 已受理，請核閱：%s", "The severe complaint %s was received and needs your review: %s"},
	"notify.complaint_escalation_1.title": {"客诉即将逾期：%s", "客訴即將逾期：%s", "Complaint due soon: %s"},
	"notify.complaint_escalation_1.body":  {"您负责的客诉 %s 将于 %s 到期，请尽快处理。", "您負責的客訴 %s 將於 %s 到期，請儘快處理。", "The complaint %s you are responsible for is due at %s."},
	"notify.complaint_escalation_2.title": {"客诉已逾期：%s", "客訴已逾期：%s", "Complaint overdue: %s"},
	"notify.complaint_escalation_2.body":  {"贵部门的客诉 %s 已于 %s 逾期。", "貴部門的客訴 %s 已於 %s 逾期。", "The complaint %s of your department was due at %s and is overdue."},
	"notify.complaint_escalation_3.title": {"客诉逾期一个工作日：%s", "客訴逾期一個工作日：%s", "Complaint overdue by a working day: %s"},
	"notify.complaint_escalation_3.body":  {"客诉 %s 已于 %s 逾期超过一个工作日，请督办。", "客訴 %s 已於 %s 逾期超過一個工作日，請督辦。", "The complaint %s has been overdue for a working day since %s; please follow it up."},
	"workday.outside_year":                {"日期须在 %d 年内。", "日期須在 %d 年內。", "The date must be in %d."},
	"workday.duplicate":                   {"同一日期只能出现一次。", "同一日期只能出現一次。", "Each date may appear once."},
	// credit and risk (app/risk)
	"entity.credit_assessment":             {"信用评估", "信用評估", "credit assessment"},
	"entity.risk_warning":                  {"风险预警", "風險預警", "risk warning"},
	"risk.weights_sum":                     {"四项权重之和必须为 100。", "四項權重之和必須為 100。", "The four weights must add up to 100."},
	"risk.bands_order":                     {"评级区间须按最低分从高到低排列，且最后一档从 0 分开始。", "評級區間須按最低分由高到低排列，且最後一檔從 0 分開始。", "Rating bands must go from the highest minimum score down, the last one starting at 0."},
	"risk.valid_until_past":                {"有效期须晚于今天。", "有效期須晚於今天。", "The validity must end after today."},
	"risk.not_pending":                     {"该信用评估不在待审批状态。", "該信用評估不在待審批狀態。", "The credit assessment is not waiting for approval."},
	"risk.approve_own":                     {"不能审批自己提交的信用评估。", "不能審批自己提交的信用評估。", "You cannot approve a credit assessment you made."},
	"risk.escalation_reason":               {"签约后客户信用敞口将达 %s，超过信用额度 %s（当前敞口 %s，评级 %s），因此升级由%s审批。", "簽約後客戶信用曝險將達 %s，超過信用額度 %s（目前曝險 %s，評級 %s），因此升級由%s審批。", "Once signed, the customer's exposure would be %s, over its credit limit of %s (exposure now %s, rating %s); so the review goes up to the %s role."},
	"risk.review_task":                     {"信用复评：评级 %s，有效期至 %s", "信用複評：評級 %s，有效期至 %s", "Credit review: rating %s, valid until %s"},
	"risk.approval_title":                  {"信用评估：%s（评级 %s）", "信用評估：%s（評級 %s）", "Credit assessment: %s (rating %s)"},
	"risk.kind.exposure_share":             {"敞口接近额度", "曝險接近額度", "exposure near the limit"},
	"risk.kind.over_limit":                 {"超出信用额度", "超出信用額度", "over the credit limit"},
	"risk.kind.overdue":                    {"应收账款逾期", "應收帳款逾期", "receivables overdue"},
	"risk.kind.complaint_spike":            {"投诉激增", "投訴激增", "complaint spike"},
	"risk.kind.silence":                    {"长期无往来", "長期無往來", "long silence"},
	"risk.kind.assessment_expired":         {"信用评估已过期", "信用評估已過期", "credit assessment expired"},
	"risk.level.low":                       {"低", "低", "low"},
	"risk.level.medium":                    {"中", "中", "medium"},
	"risk.level.high":                      {"高", "高", "high"},
	"risk.warning.exposure_share":          {"%s 的信用敞口已达额度的预警比例。", "%s 的信用曝險已達額度的預警比例。", "%s: exposure has reached the warning share of the credit limit."},
	"risk.warning.over_limit":              {"%s 的信用敞口已超过信用额度。", "%s 的信用曝險已超過信用額度。", "%s: exposure is over the credit limit."},
	"risk.warning.overdue":                 {"%s 有应收账款逾期超过设定天数。", "%s 有應收帳款逾期超過設定天數。", "%s: receivables are overdue by the set number of days or more."},
	"risk.warning.complaint_spike":         {"%s 近期投诉次数达到预警值。", "%s 近期投訴次數達到預警值。", "%s: complaints in the recent window reached the warning count."},
	"risk.warning.silence":                 {"%s 已长时间没有跟进或采购。", "%s 已長時間沒有跟進或採購。", "%s: no follow-up or purchase for a long time."},
	"risk.warning.assessment_expired":      {"%s 的信用评估已过有效期，请复评。", "%s 的信用評估已過有效期，請複評。", "%s: the credit assessment has expired; review it."},
	"timeline.credit.assessed":             {"信用评估：评级 %s，建议额度 %s", "信用評估：評級 %s，建議額度 %s", "Credit assessed: rating %s, proposed limit %s"},
	"timeline.credit.approved":             {"信用评估（评级 %s）已批准", "信用評估（評級 %s）已核准", "Credit assessment (rating %s) approved"},
	"timeline.credit.rejected":             {"信用评估（评级 %s）被驳回", "信用評估（評級 %s）被駁回", "Credit assessment (rating %s) rejected"},
	"timeline.risk.raised":                 {"风险预警：%s（风险%s）", "風險預警：%s（風險%s）", "Risk warning: %s (%s risk)"},
	"timeline.risk.resolved":               {"风险预警解除：%s", "風險預警解除：%s", "Risk warning cleared: %s"},
	"notify.risk_exposure_share.title":     {"客户 %s 的信用敞口接近额度", "客戶 %s 的信用曝險接近額度", "%s: exposure near the credit limit"},
	"notify.risk_exposure_share.body":      {"客户 %s 的信用敞口接近额度。请查看客户的信用卡片并记录应对措施。", "客戶 %s 的信用曝險接近額度。請查看客戶的信用卡片並記錄應對措施。", "%s: exposure near the credit limit. Open the customer's credit card and record the measures taken."},
	"notify.risk_over_limit.title":         {"客户 %s 超出信用额度", "客戶 %s 超出信用額度", "%s is over its credit limit"},
	"notify.risk_over_limit.body":          {"客户 %s 超出信用额度。请查看客户的信用卡片并记录应对措施。", "客戶 %s 超出信用額度。請查看客戶的信用卡片並記錄應對措施。", "%s is over its credit limit. Open the customer's credit card and record the measures taken."},
	"notify.risk_overdue.title":            {"客户 %s 应收账款逾期", "客戶 %s 應收帳款逾期", "%s has overdue receivables"},
	"notify.risk_overdue.body":             {"客户 %s 应收账款逾期。请查看客户的信用卡片并记录应对措施。", "客戶 %s 應收帳款逾期。請查看客戶的信用卡片並記錄應對措施。", "%s has overdue receivables. Open the customer's credit card and record the measures taken."},
	"notify.risk_complaint_spike.title":    {"客户 %s 投诉激增", "客戶 %s 投訴激增", "Complaint spike at %s"},
	"notify.risk_complaint_spike.body":     {"客户 %s 投诉激增。请查看客户的信用卡片并记录应对措施。", "客戶 %s 投訴激增。請查看客戶的信用卡片並記錄應對措施。", "Complaint spike at %s. Open the customer's credit card and record the measures taken."},
	"notify.risk_silence.title":            {"客户 %s 长期无往来", "客戶 %s 長期無往來", "No contact with %s for a long time"},
	"notify.risk_silence.body":             {"客户 %s 长期无往来。请查看客户的信用卡片并记录应对措施。", "客戶 %s 長期無往來。請查看客戶的信用卡片並記錄應對措施。", "No contact with %s for a long time. Open the customer's credit card and record the measures taken."},
	"notify.risk_assessment_expired.title": {"客户 %s 的信用评估已过期", "客戶 %s 的信用評估已過期", "%s: credit assessment expired"},
	"notify.risk_assessment_expired.body":  {"客户 %s 的信用评估已过期。请查看客户的信用卡片并记录应对措施。", "客戶 %s 的信用評估已過期。請查看客戶的信用卡片並記錄應對措施。", "%s: credit assessment expired. Open the customer's credit card and record the measures taken."},
}

// Message renders a catalog key in locale. Args that are themselves catalog keys of the form
// "entity.x" are translated too, so NotFoundf("entity.user") reads naturally.
func Message(locale, key string, args ...any) string {
	m, ok := catalog[key]
	if !ok {
		return key
	}
	tr := make([]any, len(args))
	for i, a := range args {
		if s, ok := a.(string); ok {
			if em, ok := catalog[s]; ok && strings.HasPrefix(s, "entity.") {
				tr[i] = em.in(locale)
				continue
			}
		}
		tr[i] = a
	}
	if len(tr) == 0 {
		return m.in(locale)
	}
	return fmt.Sprintf(m.in(locale), tr...)
}

// HasMessage reports whether key is in the catalog (tests check that every key used exists).
func HasMessage(key string) bool { _, ok := catalog[key]; return ok }
