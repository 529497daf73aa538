package customer

import (
	"strings"
	"unicode/utf8"
)

// The labels of import and export columns and of coded values, in the three product languages.

// fieldLabel is a column header in the three product languages.
type fieldLabel struct{ zhCN, zhTW, en string }

func (l fieldLabel) in(locale string) string {
	switch locale {
	case "en":
		return l.en
	case "zh-TW":
		return l.zhTW
	default:
		return l.zhCN
	}
}

func (l fieldLabel) matches(s string) bool {
	return strings.EqualFold(s, l.zhCN) || strings.EqualFold(s, l.zhTW) || strings.EqualFold(s, l.en)
}

// transferFields are the columns of an export, in order, and the targets an import column can
// be mapped to (plus custom_fields.<key>). Keys are the API's JSON paths.
var transferFields = []struct {
	key        string
	label      fieldLabel
	importable bool
}{
	{"id", fieldLabel{"客户编号", "客戶編號", "ID"}, false},
	{"name", fieldLabel{"客户名称", "客戶名稱", "Name"}, true},
	{"type", fieldLabel{"客户类型", "客戶類型", "Type"}, true},
	{"short_name", fieldLabel{"简称", "簡稱", "Short name"}, true},
	{"credit_code", fieldLabel{"统一社会信用代码", "統一社會信用代碼", "Unified social credit code"}, true},
	{"industry", fieldLabel{"行业", "行業", "Industry"}, true},
	{"scale.employees", fieldLabel{"员工人数", "員工人數", "Employees"}, true},
	{"scale.annual_revenue", fieldLabel{"年营业额", "年營業額", "Annual revenue"}, true},
	{"address.province", fieldLabel{"省份", "省份", "Province"}, true},
	{"address.city", fieldLabel{"城市", "城市", "City"}, true},
	{"address.district", fieldLabel{"区县", "區縣", "District"}, true},
	{"address.street", fieldLabel{"详细地址", "詳細地址", "Street address"}, true},
	{"region", fieldLabel{"区域", "區域", "Region"}, true},
	{"business_scope", fieldLabel{"经营范围", "經營範圍", "Business scope"}, true},
	{"legal_representative", fieldLabel{"法定代表人", "法定代表人", "Legal representative"}, true},
	{"source", fieldLabel{"客户来源", "客戶來源", "Source"}, true},
	{"stage", fieldLabel{"客户阶段", "客戶階段", "Stage"}, true},
	{"tier", fieldLabel{"客户等级", "客戶等級", "Tier"}, true},
	{"intent_class", fieldLabel{"意向等级", "意向等級", "Intent class"}, true},
	{"value_class", fieldLabel{"价值等级", "價值等級", "Value class"}, false},
	{"tags", fieldLabel{"标签", "標籤", "Tags"}, true},
	{"phone", fieldLabel{"电话", "電話", "Phone"}, true},
	{"id_number", fieldLabel{"证件号码", "證件號碼", "ID number"}, true},
	{"email", fieldLabel{"邮箱", "電子郵件", "Email"}, true},
	{"birthday", fieldLabel{"生日", "生日", "Birthday"}, true},
	{"owner", fieldLabel{"负责人", "負責人", "Owner"}, false},
	{"owner_email", fieldLabel{"负责人邮箱", "負責人電子郵件", "Owner email"}, true},
	{"department", fieldLabel{"所属部门", "所屬部門", "Department"}, false},
	{"in_pool", fieldLabel{"公海", "公海", "In pool"}, false},
	{"created_at", fieldLabel{"创建时间", "建立時間", "Created at"}, false},
}

// headerAliases are other common headers of customer spreadsheets, recognised when an import
// gives no mapping.
var headerAliases = map[string]string{
	"公司名称": "name", "公司名稱": "name", "企业名称": "name", "企業名稱": "name", "客户": "name", "客戶": "name",
	"名称": "name", "名稱": "name", "Company": "name", "Company name": "name", "Customer": "name",
	"手机": "phone", "手機": "phone", "手机号": "phone", "手機號碼": "phone", "联系电话": "phone", "聯絡電話": "phone", "电话号码": "phone",
	"邮件": "email", "电子邮箱": "email", "E-mail": "email", "信箱": "email",
	"省": "address.province", "市": "address.city", "区": "address.district", "地址": "address.street",
	"标签/分类": "tags", "标记": "tags",
}

// choiceLabels are the localized names of coded values, exported as such and accepted (as
// well as the codes) on import.
var choiceLabels = map[string]map[string]fieldLabel{
	"type": {
		TypeEnterprise: {"企业客户", "企業客戶", "Enterprise"},
		TypeIndividual: {"个人客户", "個人客戶", "Individual"},
	},
	"stage": {
		StagePotential: {"潜在", "潛在", "Potential"},
		StageProspect:  {"意向", "意向", "Prospect"},
		StageDeal:      {"成交", "成交", "Deal"},
		StageChurned:   {"流失", "流失", "Churned"},
	},
	"tier": {
		TierKey:       {"重点客户", "重點客戶", "Key"},
		TierGeneral:   {"一般客户", "一般客戶", "General"},
		TierPotential: {"潜在客户", "潛在客戶", "Potential"},
	},
	"source": {
		"market_research":  {"市场调研", "市場調研", "Market research"},
		"industry_event":   {"行业展会", "行業展會", "Industry event"},
		"partner_referral": {"合作伙伴推荐", "合作夥伴推薦", "Partner referral"},
		"online":           {"网络", "網路", "Online"},
		"cold_call":        {"电话陌拜", "電話陌拜", "Cold call"},
		"walk_in":          {"上门", "上門", "Walk-in"},
		"other":            {"其他", "其他", "Other"},
	},
}

// choiceCode turns a code or any language's label into the code; anything else is returned
// as given, for validation to refuse.
func choiceCode(field, v string) string {
	for code, l := range choiceLabels[field] {
		if strings.EqualFold(v, code) || l.matches(v) {
			return code
		}
	}
	// A short form such as 重点 for 重点客户, 企业 for 企业客户.
	for code, l := range choiceLabels[field] {
		for _, s := range []string{l.zhCN, l.zhTW} {
			if v != "" && strings.HasPrefix(s, v) && utf8.RuneCountInString(v) >= 2 {
				return code
			}
		}
	}
	return v
}

func choiceLabel(locale, field, code string) string {
	if l, ok := choiceLabels[field][code]; ok {
		return l.in(locale)
	}
	return code
}
