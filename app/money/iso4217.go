package money

import "strings"

// currencies are the active ISO 4217 codes (list one, 2024) with their minor units. Funds and
// precious-metal codes (XAU, XDR, …) are left out: nobody invoices in them.
var currencies = func() map[string]int32 {
	m := map[string]int32{}
	for units, codes := range map[int32]string{
		0: "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF",
		3: "BHD IQD JOD KWD LYD OMR TND",
		4: "CLF UYW",
		2: "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP " +
			"BYN BZD CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP " +
			"GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT " +
			"LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN " +
			"NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP " +
			"SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES " +
			"WST XCD XCG YER ZAR ZMW ZWG",
	} {
		for _, c := range strings.Fields(codes) {
			m[c] = units
		}
	}
	return m
}()

// ValidCurrency reports whether code is an active ISO 4217 currency code (upper case).
func ValidCurrency(code string) bool {
	_, ok := currencies[code]
	return ok
}

// MinorUnits is the number of decimals of currency (2 when unknown).
func MinorUnits(currency string) int32 {
	if u, ok := currencies[currency]; ok {
		return u
	}
	return 2
}
