package sql

// kwCat is the category of a PostgreSQL keyword, which says where it may be
// used as a name. Unreserved keywords (begin, key, value, level, set, ...)
// may be used as names anywhere, as in PostgreSQL, and are kwNone here.
type kwCat uint8

const (
	kwNone     kwCat = iota // not a keyword, or an unreserved one
	kwColName               // may name a column or table in PostgreSQL, but not a function or type
	kwTypeFunc              // may name a function or type, not a column or table
	kwReserved              // may name nothing
)

// keywords are PostgreSQL's keywords that are not unreserved, from its
// src/include/parser/kwlist.h (version 18 development). A name is any other
// identifier; a column-name keyword is refused as a name with 0A000 (where
// PostgreSQL accepts it depends on the position), the others with 42601.
var keywords = map[string]kwCat{}

func init() {
	for _, w := range []string{
		"all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric",
		"both", "case", "cast", "check", "collate", "column", "constraint", "create",
		"current_catalog", "current_date", "current_role", "current_time",
		"current_timestamp", "current_user", "default", "deferrable", "desc",
		"distinct", "do", "else", "end", "except", "false", "fetch", "for", "foreign",
		"from", "grant", "group", "having", "in", "initially", "intersect", "into",
		"lateral", "leading", "limit", "localtime", "localtimestamp", "not", "null",
		"offset", "on", "only", "or", "order", "placing", "primary", "references",
		"returning", "select", "session_user", "some", "symmetric", "system_user",
		"table", "then", "to", "trailing", "true", "union", "unique", "user", "using",
		"variadic", "when", "where", "window", "with",
	} {
		keywords[w] = kwReserved
	}
	for _, w := range []string{
		"authorization", "binary", "collation", "concurrently", "cross",
		"current_schema", "freeze", "full", "ilike", "inner", "is", "isnull", "join",
		"left", "like", "natural", "notnull", "outer", "overlaps", "right", "similar",
		"tablesample", "verbose",
	} {
		keywords[w] = kwTypeFunc
	}
	for _, w := range []string{
		"between", "bigint", "bit", "boolean", "char", "character", "coalesce", "dec",
		"decimal", "exists", "extract", "float", "greatest", "grouping", "inout", "int",
		"integer", "interval", "json", "json_array", "json_arrayagg", "json_exists",
		"json_object", "json_objectagg", "json_query", "json_scalar",
		"json_serialize", "json_table", "json_value", "least", "merge_action",
		"national", "nchar", "none", "normalize", "nullif", "numeric", "out",
		"overlay", "position", "precision", "real", "row", "setof", "smallint",
		"substring", "time", "timestamp", "treat", "trim", "values", "varchar",
		"xmlattributes", "xmlconcat", "xmlelement", "xmlexists", "xmlforest",
		"xmlnamespaces", "xmlparse", "xmlpi", "xmlroot", "xmlserialize", "xmltable",
	} {
		keywords[w] = kwColName
	}
}
