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
	// title, publisher and publishedOn (YYYY-MM-DD) are what a reader needs
	// to find an article; "" where it does not give them (stored NULL).
	title, publisher, publishedOn string
	// article marks the source article, whose date the data-quality report
	// checks establishedOn against (db.SourceArticleDate).
	article bool
}

// datasetSources returns the dataset_source rows, in display order.
func datasetSources() []source {
	return []source{
		{ord: 1, name: "Vonng/adcode @ b755d6e (data © 高德/Amap)", url: "https://github.com/Vonng/adcode",
			licence: "CC BY 4.0",
			usedFor: "county boundaries and seats, township seats (GCJ-02 converted to WGS84; 2021 county merger applied)"},
		{ord: 2, name: "china-division 2.7.0 (NBS 2023 统计用区划代码)", url: "https://github.com/modood/Administrative-divisions-of-China",
			licence: "public government code list (package: MIT/WTFPL)",
			usedFor: "township codes, names and kinds (141 = 13 街道 + 78 镇 + 50 乡)"},
		{ord: 3, name: "civicmap seed", url: "db/seed in the civicmap repository",
			licence: "part of civicmap",
			usedFor: "sectors and platforms: 4 REAL platforms from the source article, the rest ILLUSTRATIVE records written by civicmap"},
		sourceArticle,
	}
}

// sourceArticle is the article the directory's platforms come from: the three
// kinds and their counts (141 liaison groups, 49 workstations, 17 halls) and
// the four platforms it names (provenance REAL).
//
// No copy of it is kept with the data (../shared/data/sanming and its
// PROVENANCE.md name only the geography's sources) and the project recorded
// none of title, publisher or date when the seed was written. The title below
// is that of the one copy found since, a third-party repost whose text matches
// every fact civicmap takes from the article (the 12345 hotline workstation set
// up "last August" with its three cases, 49 workstations, 150+ activities, 200+
// problems solved). The copy names no publisher and its text gives no date
// with a year, so both are left empty: the repost's address carries
// 2023-06-14, which may be the original's date but is not one the article
// states.
// Fill them in when the original is found; the report then checks dates
// against it.
var sourceArticle = source{
	ord:     4,
	name:    "Source article (a third-party repost; the original's address, publisher and date are not known)",
	url:     "http://m.ericfola.com/c/2023-06-14/3361260.shtml",
	licence: "news article; only its facts are used",
	usedFor: "the three kinds of platform and their counts (141 / 49 / 17) and the 4 REAL platforms with the facts it gives; it dates nothing with a year, so no record carries a date, and it reports its platforms as working, so every ILLUSTRATIVE record is ACTIVE",
	title:   "政协奋进新征程·福建篇 | 三明市政协：以“点”带“面”拓展履职空间",
	article: true,
}

// nullable is s, or NULL when s is empty: an unknown is stored as unknown.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
