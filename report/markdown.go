package report

import (
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"strings"
)

// The report renders results/edge-cases.md (written by `idemsim table`)
// without depending on what it says: it reads the little Markdown such
// generated files use — headings, paragraphs, tables, lists, `code` and
// **bold** — and finds the table and what follows it by shape alone.

// mdBlock is one block of a Markdown file.
type mdBlock struct {
	Kind  string     // "heading", "para", "table" or "list"
	Level int        // a heading's level
	Text  string     // a heading's or a paragraph's text
	Items []string   // a list's items
	Rows  [][]string // a table's rows, its header first (the rule left out)
}

// parseMarkdown splits src into blocks: a line starting "#" is a heading,
// lines starting "|" a table, lines starting "- " or "* " a list (an
// indented line continues the item), and other runs of lines paragraphs.
func parseMarkdown(src string) []mdBlock {
	var out []mdBlock
	var cur *mdBlock
	flush := func() {
		if cur != nil {
			out = append(out, *cur)
			cur = nil
		}
	}
	for _, line := range strings.Split(src, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "":
			flush()
		case strings.HasPrefix(trimmed, "#"):
			flush()
			level := len(trimmed) - len(strings.TrimLeft(trimmed, "#"))
			out = append(out, mdBlock{Kind: "heading", Level: level, Text: strings.TrimSpace(trimmed[level:])})
		case strings.HasPrefix(trimmed, "|"):
			if cur == nil || cur.Kind != "table" {
				flush()
				cur = &mdBlock{Kind: "table"}
			}
			cells := splitRow(trimmed)
			if !isRule(cells) {
				cur.Rows = append(cur.Rows, cells)
			}
		case strings.HasPrefix(trimmed, "- ") || strings.HasPrefix(trimmed, "* "):
			if cur == nil || cur.Kind != "list" {
				flush()
				cur = &mdBlock{Kind: "list"}
			}
			cur.Items = append(cur.Items, strings.TrimSpace(trimmed[2:]))
		case cur != nil && cur.Kind == "list" && line != trimmed:
			cur.Items[len(cur.Items)-1] += " " + trimmed
		case cur != nil && cur.Kind == "para":
			cur.Text += " " + trimmed
		default:
			flush()
			cur = &mdBlock{Kind: "para", Text: trimmed}
		}
	}
	flush()
	return out
}

// splitRow splits a table row at its unescaped bars.
func splitRow(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(line, "|")
	if strings.HasSuffix(line, "|") && !strings.HasSuffix(line, `\|`) {
		line = line[:len(line)-1]
	}
	var cells []string
	var b strings.Builder
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line) && line[i+1] == '|':
			b.WriteByte('|')
			i++
		case line[i] == '|':
			cells = append(cells, strings.TrimSpace(b.String()))
			b.Reset()
		default:
			b.WriteByte(line[i])
		}
	}
	return append(cells, strings.TrimSpace(b.String()))
}

func isRule(cells []string) bool {
	for _, c := range cells {
		if strings.Trim(c, "-: ") != "" || c == "" {
			return false
		}
	}
	return true
}

// inline renders a line of Markdown text as HTML: `code` spans, **bold**,
// everything else escaped.
func inline(s string) template.HTML {
	var b strings.Builder
	for i, part := range strings.Split(s, "`") {
		if i%2 == 1 {
			b.WriteString("<code>" + template.HTMLEscapeString(part) + "</code>")
			continue
		}
		for j, p := range strings.Split(part, "**") {
			if j%2 == 1 {
				b.WriteString("<b>" + template.HTMLEscapeString(p) + "</b>")
			} else {
				b.WriteString(template.HTMLEscapeString(p))
			}
		}
	}
	return template.HTML(b.String())
}

// blocksHTML renders blocks as HTML; a table goes through Table.HTML
// (tableOf), headings one level lower than written so that they sit under
// the page's own.
func blocksHTML(blocks []mdBlock, base string) template.HTML {
	var b strings.Builder
	for _, bl := range blocks {
		switch bl.Kind {
		case "heading":
			l := min(bl.Level+1, 6)
			fmt.Fprintf(&b, "<h%d>%s</h%d>\n", l, inline(bl.Text), l)
		case "para":
			b.WriteString("<p>" + string(inline(bl.Text)) + "</p>\n")
		case "list":
			b.WriteString("<ul class=\"md\">\n")
			for _, it := range bl.Items {
				b.WriteString("<li>" + string(inline(it)) + "</li>\n")
			}
			b.WriteString("</ul>\n")
		case "table":
			b.WriteString(string(tableOf(bl).HTML("", base)))
		}
	}
	return template.HTML(b.String())
}

// tableOf is a Markdown table as a Table: a cell in backticks is a name
// (and a strategy's links to its page), and a cell that is neither empty
// nor "ok", "n/a" or a dash is bad.
func tableOf(bl mdBlock) Table {
	var t Table
	if len(bl.Rows) == 0 {
		return t
	}
	t.Header = bl.Rows[0]
	for _, r := range bl.Rows[1:] {
		var row []TableCell
		for i, text := range r {
			c := TableCell{Text: text}
			if len(text) > 1 && strings.HasPrefix(text, "`") && strings.HasSuffix(text, "`") {
				c.Text, c.Code = strings.Trim(text, "`"), true
				if i == 0 && isStrategy(c.Text) {
					c.Link = StrategyPage(c.Text)
				}
			}
			c.Text = strings.ReplaceAll(c.Text, "**", "")
			switch strings.ToLower(c.Text) {
			case "", "ok", "n/a", "-", "–":
			default:
				c.Bad = i > 0
			}
			row = append(row, c)
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// EdgeCasesFile is `idemsim table`'s output in the results directory.
const EdgeCasesFile = "edge-cases.md"

// EdgeCases is results/edge-cases.md as the pages use it.
type EdgeCases struct {
	Blocks []mdBlock // the whole file
	Table  int       // the index in Blocks of its first table
	// Legend are the blocks after the table, up to the next heading: what
	// says how to read it.
	Legend []mdBlock
	// Cases name each column after the first: from a legend item that
	// opens with the column's header in bold ("**A, retry after
	// success**: ..."), else the header alone.
	Cases []string
}

// ReadEdgeCases reads path; a missing file is nil and no error (the page
// then says how to make it), a file with no table an error.
func ReadEdgeCases(path string) (*EdgeCases, error) {
	data, err := readInput(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, inputErr("report: %w", err)
	}
	e := &EdgeCases{Blocks: parseMarkdown(string(data)), Table: -1}
	for i, b := range e.Blocks {
		if b.Kind == "table" {
			e.Table = i
			break
		}
	}
	if e.Table < 0 || len(e.Blocks[e.Table].Rows) < 2 {
		return nil, inputErr("report: %s: no Markdown table with a header and rows (make results writes it)", path)
	}
	for _, b := range e.Blocks[e.Table+1:] {
		if b.Kind == "heading" {
			break
		}
		e.Legend = append(e.Legend, b)
	}
	header := e.Blocks[e.Table].Rows[0]
	for _, h := range header[1:] {
		name := h
		for _, b := range e.Legend {
			for _, it := range b.Items {
				if bold, ok := strings.CutPrefix(it, "**"+h+", "); ok {
					if n, _, ok := strings.Cut(bold, "**"); ok {
						name = h + ", " + n
					}
				}
			}
		}
		e.Cases = append(e.Cases, name)
	}
	return e, nil
}

// TableHTML is the edge-case table and its legend.
func (e *EdgeCases) TableHTML(base string) template.HTML {
	return blocksHTML(append([]mdBlock{e.Blocks[e.Table]}, e.Legend...), base)
}

// Row is the strategy's row of the table as a two-column Table, one case
// per row; ok is false when the table has no row for it.
func (e *EdgeCases) Row(strategy string) (t Table, ok bool) {
	full := tableOf(e.Blocks[e.Table])
	t.Header = []string{"edge case", "what the runs showed"}
	for _, r := range full.Rows {
		if len(r) == 0 || r[0].Text != strategy {
			continue
		}
		for i, c := range r[1:] {
			name := ""
			if i < len(e.Cases) {
				name = e.Cases[i]
			}
			t.Rows = append(t.Rows, []TableCell{{Text: name}, c})
		}
		return t, true
	}
	return t, false
}

// About are the items elsewhere in the file (outside the legend) that
// open with the strategy's name in code: what the file says of it alone,
// such as its failing schedules.
func (e *EdgeCases) About(strategy string) []string {
	var out []string
	for i, b := range e.Blocks {
		if b.Kind != "list" || i <= e.Table+len(e.Legend) {
			continue
		}
		for _, it := range b.Items {
			if strings.HasPrefix(it, "`"+strategy+"`") {
				out = append(out, it)
			}
		}
	}
	return out
}
