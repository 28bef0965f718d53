package report

import (
	"html/template"
	"strings"
)

// Table is a table generated from the committed results that both the
// README (as Markdown) and the report's pages (as HTML) show, so that the
// two cannot say different things.
type Table struct {
	// Caption says what the table shows: which results, which settings,
	// what each cell pools and what it leaves out.
	Caption string
	Header  []string
	Rows    [][]TableCell
	// Notes are paragraphs under the table (a legend, the footnotes).
	Notes []string
}

// TableCell is one cell of a Table.
type TableCell struct {
	Text  string
	Code  bool   // a name: set in code type (a strategy, a flag)
	Bad   bool   // something went wrong: bold in Markdown, marked on the page
	Title string // the figures behind the text, for the page's tooltip
	Link  string // a page or file it links to, relative to the results directory
}

// Markdown is the table as a Markdown table (its caption and notes are
// the caller's to place).
func (t Table) Markdown() string {
	var b strings.Builder
	b.WriteString("|")
	for _, h := range t.Header {
		b.WriteString(" " + h + " |")
	}
	b.WriteString("\n|")
	for range t.Header {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range t.Rows {
		b.WriteString("|")
		for _, c := range r {
			text := strings.ReplaceAll(c.Text, "|", `\|`)
			if c.Code {
				text = "`" + text + "`"
			}
			if c.Bad && text != "" {
				text = "**" + text + "**"
			}
			b.WriteString(" " + text + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Document is the table with its caption before it and its notes after
// it, as a Markdown file holds it.
func (t Table) Document() string {
	var b strings.Builder
	if t.Caption != "" {
		b.WriteString(t.Caption + "\n\n")
	}
	b.WriteString(t.Markdown())
	for _, n := range t.Notes {
		b.WriteString("\n" + n + "\n")
	}
	return b.String()
}

// HTML is the table as a page shows it: its caption above and its notes
// below (their `code` and **bold** rendered), a bad cell marked, each
// cell's Title as its tooltip and its Link as a link. base is the path from
// the page to the results directory ("" or "../"); id names the table.
func (t Table) HTML(id, base string) template.HTML {
	var b strings.Builder
	if t.Caption != "" {
		b.WriteString(`<p class="caption">` + string(inline(t.Caption)) + "</p>\n")
	}
	b.WriteString(`<div class="scroll"><table`)
	if id != "" {
		b.WriteString(` id="` + template.HTMLEscapeString(id) + `"`)
	}
	b.WriteString(">\n<tr>")
	for _, h := range t.Header {
		b.WriteString("<th>" + template.HTMLEscapeString(h) + "</th>")
	}
	b.WriteString("</tr>\n")
	for _, r := range t.Rows {
		b.WriteString("<tr>")
		for i, c := range r {
			var class []string
			if i == 0 {
				class = append(class, "name")
			}
			if c.Bad {
				class = append(class, "bad")
			}
			b.WriteString("<td")
			if len(class) > 0 {
				b.WriteString(` class="` + strings.Join(class, " ") + `"`)
			}
			if c.Title != "" {
				b.WriteString(` title="` + template.HTMLEscapeString(c.Title) + `"`)
			}
			b.WriteString(">")
			text := template.HTMLEscapeString(c.Text)
			if c.Code {
				text = "<code>" + text + "</code>"
			}
			if c.Link != "" {
				text = `<a href="` + template.HTMLEscapeString(base+c.Link) + `">` + text + "</a>"
			}
			b.WriteString(text + "</td>")
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table></div>\n")
	for _, n := range t.Notes {
		b.WriteString(`<p class="note">` + string(inline(n)) + "</p>\n")
	}
	return template.HTML(b.String())
}
