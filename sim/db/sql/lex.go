package sql

// The lexer. It reads tokens as PostgreSQL's scanner (scan.l) does, so that
// a text is split into the same tokens here as there: in particular an
// operator is the longest run of operator characters, less a trailing + or
// - that PostgreSQL would give back (so "value=-5" is "value", "=", "-",
// "5"), and "--" starts a comment even inside a run of operator characters.
// Whatever PostgreSQL would read as a token this dialect lacks (a quoted
// identifier, a numeric constant with a fraction, a dollar-quoted string,
// an E'' string, a /* */ comment) is refused with 0A000 rather than
// misread.

import (
	"strconv"
	"strings"
)

// tokKind is the kind of a token.
type tokKind uint8

const (
	tokEOF    tokKind = iota
	tokIdent          // a name or keyword, folded to lower case
	tokInt            // an unsigned integer constant (text holds its digits)
	tokString         // a string constant (text holds its value)
	tokParam          // $n (num holds n)
	tokOp             // an operator or punctuation: , ( ) [ ] . ; : :: = % + - * < ...
	tokOther          // a character PostgreSQL has no token for: { } \ and controls
)

// token is one token of the text.
type token struct {
	kind tokKind
	kw   kwCat  // tokIdent: the keyword category, kwNone for a plain name
	text string // see tokKind
	raw  string // the token as written, for messages
	num  int    // tokParam: n
}

// maxIdentLen is the longest name PostgreSQL keeps (NAMEDATALEN-1): longer
// names are truncated, with a notice, and so they are here.
const maxIdentLen = 63

// maxParam is the highest parameter number accepted. PostgreSQL's parser
// accepts more, but its protocol cannot bind more than 65535 parameters.
const maxParam = 65535

// opChars are the characters PostgreSQL builds operators from.
const opChars = "~!@#^&|`?+-*/%<>="

func isOpChar(c byte) bool       { return strings.IndexByte(opChars, c) >= 0 }
func isDigit(c byte) bool        { return '0' <= c && c <= '9' }
func isIdentStart(c byte) bool   { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' }
func isIdentCont(c byte) bool    { return isIdentStart(c) || isDigit(c) }
func isSpace(c byte) bool        { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }
func isNewline(c byte) bool      { return c == '\n' || c == '\r' }
func isHexDigit(c byte) bool     { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }
func isNameByte(c byte) bool     { return isIdentCont(c) || c >= 0x80 }
func isQualifyingOp(c byte) bool { return strings.IndexByte("~!@#^&|`?%", c) >= 0 }

// skipSpace returns the offset of the first byte at or after i that is not
// white space or part of a -- comment, and whether a newline was passed.
func (p *parser) skipSpace(i int) (int, bool) {
	src := p.src
	newline := false
	for i < len(src) {
		c := src[i]
		switch {
		case isSpace(c):
			newline = newline || isNewline(c)
			i++
		case c == '-' && i+1 < len(src) && src[i+1] == '-':
			for i < len(src) && !isNewline(src[i]) {
				i++
			}
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			p.pos = i
			p.tok = token{kind: tokOp, raw: "/*"}
			p.unsupported("a /* */ comment (use --)")
		default:
			return i, newline
		}
	}
	return i, newline
}

// lex reads the token that starts at or after p.pos, leaves p.pos just past
// it, and returns it. It fails (through p.fail) on a text no token of
// PostgreSQL's or of this dialect's starts with.
func (p *parser) lex() token {
	src := p.src
	i, _ := p.skipSpace(p.pos)
	if i >= len(src) {
		p.pos = i
		return token{kind: tokEOF}
	}
	c := src[i]
	switch {
	case isIdentStart(c):
		return p.lexIdent(i)
	case isDigit(c):
		return p.lexNumber(i)
	case c == '.' && i+1 < len(src) && isDigit(src[i+1]):
		p.lexFail(i, p.numericEnd(i), codeFeatureNotSupported, "a numeric constant with a fraction or exponent")
	case c == '\'':
		return p.lexString(i)
	case c == '$':
		return p.lexParam(i)
	case c == '"':
		p.lexFail(i, i+1, codeFeatureNotSupported, `a quoted identifier (write names unquoted, in lower case)`)
	case c == ':' && i+1 < len(src) && (src[i+1] == ':' || src[i+1] == '='):
		return p.tokenAt(tokOp, i, i+2)
	case strings.IndexByte(",()[].;:", c) >= 0:
		return p.tokenAt(tokOp, i, i+1)
	case isOpChar(c):
		return p.lexOperator(i)
	case c >= 0x80:
		p.lexFail(i, i+1, codeFeatureNotSupported, "a non-ASCII character outside a string constant")
	}
	return p.tokenAt(tokOther, i, i+1)
}

// tokenAt makes the token of kind k that spans src[i:j], whose text is its
// raw text, and moves past it.
func (p *parser) tokenAt(k tokKind, i, j int) token {
	p.pos = j
	return token{kind: k, text: p.src[i:j], raw: p.src[i:j]}
}

// lexFail reports an error at the would-be token src[i:j].
func (p *parser) lexFail(i, j int, code, what string) {
	p.pos = j
	p.tok = token{kind: tokOther, raw: p.src[i:j]}
	if code == codeFeatureNotSupported {
		p.unsupported(what)
	}
	p.fail(code, what+" at or near "+quote(p.src[i:j]))
}

func (p *parser) lexIdent(i int) token {
	src := p.src
	j := i + 1
	upper := false
	for j < len(src) && isIdentCont(src[j]) {
		j++
	}
	for k := i; k < j; k++ {
		if 'A' <= src[k] && src[k] <= 'Z' {
			upper = true
			break
		}
	}
	if j < len(src) {
		switch next := src[j]; {
		case next == '\'' && j == i+1 && strings.IndexByte("eEbBxXnN", src[i]) >= 0:
			p.lexFail(i, j+1, codeFeatureNotSupported, "a string constant with a prefix ("+strings.ToUpper(src[i:j])+"'...')")
		case next == '&' && j == i+1 && (src[i] == 'u' || src[i] == 'U') && j+1 < len(src) && (src[j+1] == '\'' || src[j+1] == '"'):
			p.lexFail(i, j+2, codeFeatureNotSupported, "a U& Unicode escape constant")
		case next == '$':
			p.lexFail(i, j+1, codeFeatureNotSupported, "a name containing $")
		case next >= 0x80:
			p.lexFail(i, j+1, codeFeatureNotSupported, "a non-ASCII character in a name")
		}
	}
	raw := src[i:j]
	text := raw
	if upper {
		text = strings.ToLower(raw)
	}
	kw := keywords[text]
	if len(text) > maxIdentLen {
		text = text[:maxIdentLen]
	}
	p.pos = j
	return token{kind: tokIdent, kw: kw, text: text, raw: raw}
}

// lexNumber reads an integer constant. PostgreSQL also reads fractions,
// exponents, and since version 16 hexadecimal, octal and binary integers and
// digits grouped with _: those are refused as not supported. Digits followed
// by a name are "trailing junk" there and here.
func (p *parser) lexNumber(i int) token {
	src := p.src
	j := i
	for j < len(src) && isDigit(src[j]) {
		j++
	}
	if j < len(src) {
		c := src[j]
		switch {
		case c == '.' || (c == 'e' || c == 'E') && p.numericEnd(i) > j:
			p.lexFail(i, p.numericEnd(i), codeFeatureNotSupported, "a numeric constant with a fraction or exponent")
		case c == '_' && j+1 < len(src) && isDigit(src[j+1]):
			p.lexFail(i, j+2, codeFeatureNotSupported, "an integer constant with _ separators")
		case j == i+1 && src[i] == '0' && strings.IndexByte("xXoObB", c) >= 0 && j+1 < len(src) && isHexDigit(src[j+1]):
			p.lexFail(i, j+2, codeFeatureNotSupported, "a hexadecimal, octal or binary integer constant")
		}
		if isNameByte(c) {
			k := j
			for k < len(src) && isNameByte(src[k]) {
				k++
			}
			p.lexFail(i, k, CodeSyntaxError, "trailing junk after numeric literal")
		}
	}
	t := p.tokenAt(tokInt, i, j)
	return t
}

// numericEnd returns the end of the numeric constant starting at i: digits,
// a fraction, an exponent.
func (p *parser) numericEnd(i int) int {
	src := p.src
	j := i
	for j < len(src) && isDigit(src[j]) {
		j++
	}
	if j < len(src) && src[j] == '.' {
		j++
		for j < len(src) && isDigit(src[j]) {
			j++
		}
	}
	if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
		k := j + 1
		if k < len(src) && (src[k] == '+' || src[k] == '-') {
			k++
		}
		if k < len(src) && isDigit(src[k]) {
			for k < len(src) && isDigit(src[k]) {
				k++
			}
			j = k
		}
	}
	return j
}

// lexString reads a standard-conforming string constant, in which ” is a
// quote and a backslash is itself.
func (p *parser) lexString(i int) token {
	src := p.src
	j := i + 1
	var b []byte // the value, when it holds an escaped quote
	start := j
	for {
		k := strings.IndexByte(src[j:], '\'')
		if k < 0 {
			p.lexFail(i, len(src), CodeSyntaxError, "unterminated quoted string")
		}
		j += k
		if j+1 < len(src) && src[j+1] == '\'' {
			b = append(b, src[start:j+1]...)
			j += 2
			start = j
			continue
		}
		break
	}
	text := src[start:j]
	if b != nil {
		text = string(append(b, text...))
	}
	j++ // the closing quote
	// PostgreSQL joins two string constants separated by white space with a
	// newline in it: 'a'<newline>'b' is 'ab'.
	if k, newline := p.skipSpace(j); newline && k < len(src) && src[k] == '\'' {
		p.lexFail(k, k+1, codeFeatureNotSupported, "a string constant continued on the next line")
	}
	p.pos = j
	return token{kind: tokString, text: text, raw: src[i:j]}
}

// lexParam reads $n.
func (p *parser) lexParam(i int) token {
	src := p.src
	j := i + 1
	for j < len(src) && isDigit(src[j]) {
		j++
	}
	if j == i+1 {
		// $tag$ or $$ starts a dollar-quoted string in PostgreSQL.
		k := j
		if k < len(src) && isIdentStart(src[k]) {
			for k < len(src) && isIdentCont(src[k]) {
				k++
			}
		}
		if k < len(src) && src[k] == '$' {
			p.lexFail(i, k+1, codeFeatureNotSupported, "a dollar-quoted string constant")
		}
		p.pos = j
		p.tok = token{kind: tokOther, raw: "$"}
		p.syntaxError("a parameter number after $")
	}
	if j < len(src) && isNameByte(src[j]) {
		k := j
		for k < len(src) && isNameByte(src[k]) {
			k++
		}
		p.lexFail(i, k, CodeSyntaxError, "trailing junk after parameter")
	}
	n := 0
	for k := i + 1; k < j; k++ {
		n = n*10 + int(src[k]-'0')
		if n > maxParam {
			p.lexFail(i, j, codeFeatureNotSupported, "a parameter number above $"+strconv.Itoa(maxParam))
		}
	}
	if n == 0 {
		p.pos = j
		p.tok = token{kind: tokOther, raw: src[i:j]}
		p.syntaxError("a parameter numbered from $1 (there is no parameter $0)")
	}
	t := p.tokenAt(tokParam, i, j)
	t.num = n
	return t
}

// lexOperator reads an operator as PostgreSQL does: the longest run of
// operator characters, cut before any -- or /* in it; then, unless it has
// one of ~!@#^&|`?% in it, without its trailing + and - characters (which
// start the next token).
func (p *parser) lexOperator(i int) token {
	src := p.src
	j := i + 1
	for j < len(src) && isOpChar(src[j]) {
		if (src[j] == '-' && j+1 < len(src) && src[j+1] == '-') || (src[j] == '/' && j+1 < len(src) && src[j+1] == '*') {
			break
		}
		j++
	}
	if j-i > 1 && (src[j-1] == '+' || src[j-1] == '-') {
		qualifying := false
		for k := i; k < j-1; k++ {
			if isQualifyingOp(src[k]) {
				qualifying = true
				break
			}
		}
		if !qualifying {
			for j-i > 1 && (src[j-1] == '+' || src[j-1] == '-') {
				j--
			}
		}
	}
	return p.tokenAt(tokOp, i, j)
}

// quote quotes s as PostgreSQL's messages do: in double quotes, as is.
func quote(s string) string { return `"` + s + `"` }
