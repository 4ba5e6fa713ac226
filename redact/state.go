package redact

import "bytes"

// stateLine adds the findings that come from the state carried from earlier
// lines (a Secret's data block, a secret name whose value follows) and works
// out the state after this line into sc.next. It changes nothing in p: the
// engine commits sc.next with updateState once the line is emitted.
func (p *proc) stateLine(line []byte, base int) {
	sc := &p.sc
	st := p.st
	sc.next = st
	if st.mode == stNone {
		return
	}
	indent := 0
	for indent < len(line) && (line[indent] == ' ' || line[indent] == '\t') {
		indent++
	}
	t := bytes.TrimRight(line[indent:], " \t\r")
	if len(t) == 0 {
		return
	}
	none := lineState{scalarIndent: -1}
	add := func(s, e int, kind string) {
		sc.finds = append(sc.finds, finding{start: base + s, end: base + e, kind: kind, prio: prioContext})
	}
	switch st.mode {
	case stYAMLData, stYAMLStringData:
		if indent <= st.indent {
			sc.next = none
			return
		}
		if st.scalarIndent >= 0 {
			if indent > st.scalarIndent {
				if !isPlaceholder(t) {
					add(indent, indent+len(t), kindK8sSecret)
				}
				return
			}
			sc.next.scalarIndent = -1
		}
		vs, ve, ok := yamlValue(line, indent)
		if !ok {
			sc.next = none
			return
		}
		v := line[vs:ve]
		if st.mode == stYAMLData {
			if plausibleSecretData(v) {
				if len(v) >= 2 && isQuote(v[0]) {
					vs, ve = vs+1, ve-1
				}
				add(vs, ve, kindK8sSecret)
			}
			return
		}
		switch string(v) {
		case "|", "|-", "|+", ">", ">-", ">+":
			sc.next.scalarIndent = indent
			return
		}
		if len(v) >= 2 && isQuote(v[0]) && v[len(v)-1] == v[0] {
			vs, ve = vs+1, ve-1
		}
		if ve > vs && !isPlaceholder(line[vs:ve]) {
			add(vs, ve, kindK8sSecret)
		}
	case stJSONData:
		if t[0] == '}' {
			sc.next = none
			return
		}
		vs, ve, ok := jsonStringValue(line, indent)
		if ok && plausibleSecretData(line[vs:ve]) {
			add(vs, ve, kindK8sSecret)
		}
	case stEnvValue:
		sc.next.ttl--
		if m := envValueLine.FindSubmatchIndex(line); m != nil && m[3] > m[2] {
			vs, ve := m[2], m[3]
			if isQuote(line[vs]) && ve-vs >= 2 && line[ve-1] == line[vs] {
				vs, ve = vs+1, ve-1
			}
			if ve > vs && !isPlaceholder(line[vs:ve]) {
				add(vs, ve, kindSecret)
			}
			sc.next = none
			return
		}
		if sc.next.ttl <= 0 || t[0] == '}' || bytes.HasPrefix(t, []byte("- ")) {
			sc.next = none
		}
	}
}

// updateState commits the state after the line just emitted.
func (p *proc) updateState() {
	sc := &p.sc
	p.st = sc.next
	switch {
	case sc.open != stNone:
		p.st = lineState{mode: sc.open, indent: sc.openIndent, scalarIndent: -1}
	case sc.envName:
		p.st = lineState{mode: stEnvValue, ttl: 3, scalarIndent: -1}
	}
}

// yamlValue finds the value span of a `key: value` line.
func yamlValue(line []byte, indent int) (int, int, bool) {
	i := indent
	if i < len(line) && isQuote(line[i]) {
		e := closingQuote(line, i+1, line[i])
		if e < 0 {
			return 0, 0, false
		}
		i = e + 1
	} else {
		for i < len(line) && (isWord(line[i]) || line[i] == '.' || line[i] == '-') {
			i++
		}
	}
	if i == indent || i >= len(line) || line[i] != ':' {
		return 0, 0, false
	}
	i++
	for i < len(line) && isSpace(line[i]) {
		i++
	}
	e := trimRight(line, len(line))
	return min(i, e), e, true
}

// jsonStringValue finds the string value of a `"key": "value",` line.
func jsonStringValue(line []byte, indent int) (int, int, bool) {
	i := indent
	if i >= len(line) || line[i] != '"' {
		return 0, 0, false
	}
	e := closingQuote(line, i+1, '"')
	if e < 0 {
		return 0, 0, false
	}
	i = e + 1
	for i < len(line) && isSpace(line[i]) {
		i++
	}
	if i >= len(line) || line[i] != ':' {
		return 0, 0, false
	}
	i++
	for i < len(line) && isSpace(line[i]) {
		i++
	}
	if i >= len(line) || line[i] != '"' {
		return 0, 0, false
	}
	e = closingQuote(line, i+1, '"')
	if e < 0 {
		return 0, 0, false
	}
	return i + 1, e, true
}
