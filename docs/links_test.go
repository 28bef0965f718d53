// Package docs holds idemsim's documentation pages; its tests check that
// the pages and their links hold together.
package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
)

// pages are the documents whose links must resolve, relative to this
// directory: the README, DEVELOPERS.md and every page here.
func pages(t *testing.T) []string {
	t.Helper()
	here, err := filepath.Glob("*.md")
	require.NoError(t, err, testcmd.Rerun(t, "./docs"))
	require.NotEmpty(t, here, testcmd.Rerun(t, "./docs"))
	return append([]string{"../README.md", "../DEVELOPERS.md"}, here...)
}

var (
	fence    = regexp.MustCompile("(?m)^```.*\n(?:.*\n)*?```[ \t]*$")
	codeSpan = regexp.MustCompile("`[^`]*`")
	// An inline link or image: [text](target) or ![alt](target), the
	// target optionally followed by a quoted title.
	link    = regexp.MustCompile(`!?\[[^\]]*\]\(\s*([^)\s]+)(?:\s+"[^"]*")?\s*\)`)
	heading = regexp.MustCompile(`(?m)^#{1,6}[ \t]+(.+?)[ \t#]*$`)
	// What a heading's text loses when rendered: a link keeps its text,
	// emphasis and code markers go.
	headingLink = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
)

// prose is a Markdown text without its fenced code blocks and code spans,
// where a link is only an example.
func prose(text string) string {
	return codeSpan.ReplaceAllString(fence.ReplaceAllString(text, ""), "")
}

// anchors are the fragments GitHub gives a page's headings: the rendered
// text lowercased, every character but letters, digits, marks, '_', '-'
// and spaces dropped, each space made '-', and "-1", "-2", ... added to a
// repeated one.
func anchors(text string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	for _, m := range heading.FindAllStringSubmatch(fence.ReplaceAllString(text, ""), -1) {
		h := headingLink.ReplaceAllString(m[1], "$1")
		var b strings.Builder
		for _, r := range strings.ToLower(h) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
				b.WriteRune(r)
			}
		}
		slug := b.String()
		if n := seen[slug]; n > 0 {
			out[slug+"-"+strconv.Itoa(n)] = true
		} else {
			out[slug] = true
		}
		seen[slug]++
	}
	return out
}

// Goal: the slugs are GitHub's, so that the link test below means what a
// reader clicking the link sees.
// Method: headings of the forms these pages use, with the anchors GitHub
// gives them.
func TestAnchors(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"plain", "# The database\n", []string{"the-database"}},
		{"apostrophe", "## The world's services\n", []string{"the-worlds-services"}},
		{"code", "## idemsim `sql` and its limits ##\n", []string{"idemsim-sql-and-its-limits"}},
		{"dash and digits", "## Checked against PostgreSQL 15 — 2 ways\n", []string{"checked-against-postgresql-15--2-ways"}},
		{"link", "## See [the page](x.md)\n", []string{"see-the-page"}},
		{"repeated", "## Tests\n## Tests\n### Tests\n", []string{"tests", "tests-1", "tests-2"}},
		{"fenced", "```\n# not a heading\n```\n## Real\n", []string{"real"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := anchors(tt.text)
			var keys []string
			for k := range got {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			assert.Equal(t, tt.want, keys, testcmd.Rerun(t, "./docs"))
		})
	}
}

// Goal: every relative link in README.md, DEVELOPERS.md and docs/*.md
// reaches a file or directory of the repository and, with a #fragment, a
// heading of the page it names.
// Method: read each page's inline links and images outside code, resolve
// each against the page's directory, stat it, and look the fragment up
// among the target page's headings as GitHub slugs them.
func TestLinksResolve(t *testing.T) {
	for _, page := range pages(t) {
		t.Run(filepath.Base(page), func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./docs")
			text, err := os.ReadFile(page)
			require.NoError(t, err, rerun)
			links := link.FindAllStringSubmatch(prose(string(text)), -1)
			for _, m := range links {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				path, fragment, _ := strings.Cut(target, "#")
				file := page
				if path != "" {
					file = filepath.Join(filepath.Dir(page), filepath.FromSlash(path))
					if !assert.FileExists(t, file, "%s links to %q; %s", page, target, rerun) {
						continue
					}
				}
				if fragment == "" {
					continue
				}
				if !strings.HasSuffix(file, ".md") {
					assert.Fail(t, "a fragment on a page that is not Markdown", "%s links to %q; %s", page, target, rerun)
					continue
				}
				linked, err := os.ReadFile(file)
				require.NoError(t, err, rerun)
				assert.True(t, anchors(string(linked))[fragment], "%s links to %q: %s has no heading with that anchor; %s", page, target, file, rerun)
			}
		})
	}
}

// Goal: the README stays what a newcomer reads first: the two commands
// come first, it stays short, and it leads to every page here.
// Method: its first code block runs make run then make test; it has fewer
// than 300 lines; it links every docs/*.md.
func TestREADMEIsAnEntryPoint(t *testing.T) {
	rerun := testcmd.Rerun(t, "./docs")
	text, err := os.ReadFile("../README.md")
	require.NoError(t, err, rerun)
	readme := string(text)
	first := fence.FindString(readme)
	require.NotEmpty(t, first, "the README has no code block; %s", rerun)
	run, test := strings.Index(first, "make run"), strings.Index(first, "make test")
	assert.True(t, run >= 0 && test > run, "the README's first commands are make run, then make test:\n%s\n%s", first, rerun)
	assert.Less(t, strings.Count(readme, "\n"), 300, "README.md lines; move detail into docs/; %s", rerun)
	here, err := filepath.Glob("*.md")
	require.NoError(t, err, rerun)
	var linked []string
	for _, m := range link.FindAllStringSubmatch(prose(readme), -1) {
		path, _, _ := strings.Cut(m[1], "#")
		linked = append(linked, path)
	}
	for _, page := range here {
		assert.Contains(t, linked, "docs/"+page, "the README links every page of docs/; %s", rerun)
	}
}
