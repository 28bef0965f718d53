package script

import (
	"sort"
	"strconv"
	"strings"
)

// Result is what one statement did, in the terms the output needs.
type Result struct {
	Code    string      // SQLSTATE of the error; "" when the statement succeeded
	Message string      // the error's message, as PostgreSQL words it
	HasRows bool        // the statement returns rows (SELECT, RETURNING)
	Rows    [][]*string // text values; nil is NULL
	Tag     string      // the command tag, e.g. "INSERT 0 1", "COMMIT", "ROLLBACK"
}

// Format renders r as the RESULT part of an output line for statement stmt:
// rows sorted (see FormatRows), or as returned when stmt has an ORDER BY.
func Format(stmt string, r Result) string {
	if r.Code != "" {
		return "error " + r.Code
	}
	if r.HasRows {
		if Ordered(stmt) {
			return formatRows(r.Rows)
		}
		return FormatRows(r.Rows)
	}
	fields := strings.Fields(r.Tag)
	verb := ""
	if len(fields) > 0 {
		verb = strings.ToUpper(fields[0])
	}
	switch verb {
	case "INSERT", "UPDATE", "DELETE":
		return "ok " + fields[len(fields)-1]
	case "ROLLBACK":
		// A COMMIT (or END) of a transaction that had already failed comes
		// back with the tag ROLLBACK.
		if w := firstWord(stmt); w == "commit" || w == "end" {
			return "rolled back"
		}
	}
	return "ok"
}

func firstWord(stmt string) string {
	f := strings.Fields(stmt)
	if len(f) == 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(f[0], ";"))
}

// Ordered reports whether stmt has an ORDER BY clause: the words order and
// by in a row, outside string literals and -- comments. Its rows print in
// the order the database returned them.
func Ordered(stmt string) bool {
	prev := ""
	for i := 0; i < len(stmt); {
		c := stmt[i]
		switch {
		case c == '\'':
			j := i + 1
			for j < len(stmt) && stmt[j] != '\'' {
				j++
			}
			i, prev = j+1, ""
		case c == '-' && i+1 < len(stmt) && stmt[i+1] == '-':
			for i < len(stmt) && stmt[i] != '\n' {
				i++
			}
		case isWordByte(c):
			j := i
			for j < len(stmt) && isWordByte(stmt[j]) {
				j++
			}
			w := strings.ToLower(stmt[i:j])
			if prev == "order" && w == "by" {
				return true
			}
			i, prev = j, w
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		default:
			i, prev = i+1, ""
		}
	}
	return false
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

// FormatRows prints rows as `rows (v1,v2) (v1,v2)`, sorted by SortRows;
// `rows` alone when there are none.
func FormatRows(rows [][]*string) string {
	rows = append([][]*string(nil), rows...)
	SortRows(rows)
	return formatRows(rows)
}

// formatRows prints rows in the order given.
func formatRows(rows [][]*string) string {
	var b strings.Builder
	b.WriteString("rows")
	for _, row := range rows {
		b.WriteString(" (")
		for i, v := range row {
			if i > 0 {
				b.WriteByte(',')
			}
			if v == nil {
				b.WriteString("NULL")
			} else {
				b.WriteString(*v)
			}
		}
		b.WriteByte(')')
	}
	return b.String()
}

// SortRows sorts rows column by column: a column whose every non-NULL value
// parses as an integer compares numerically, any other column bytewise; NULL
// sorts after every value.
func SortRows(rows [][]*string) {
	width := 0
	for _, r := range rows {
		width = max(width, len(r))
	}
	numeric := make([]bool, width)
	for c := range numeric {
		numeric[c] = true
		for _, r := range rows {
			if c < len(r) && r[c] != nil {
				if _, err := strconv.ParseInt(*r[c], 10, 64); err != nil {
					numeric[c] = false
					break
				}
			}
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		for c := 0; c < len(a) && c < len(b); c++ {
			if d := compareValue(a[c], b[c], numeric[c]); d != 0 {
				return d < 0
			}
		}
		return len(a) < len(b)
	})
}

func compareValue(a, b *string, numeric bool) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	if numeric {
		x, _ := strconv.ParseInt(*a, 10, 64)
		y, _ := strconv.ParseInt(*b, 10, 64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	return strings.Compare(*a, *b)
}
