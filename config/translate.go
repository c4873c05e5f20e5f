package config

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

var (
	lineRE    = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	unknownRE = regexp.MustCompile(`^field (\S+) not found in type`)
	dupRE     = regexp.MustCompile(`^mapping key "(.*)" already defined at line (\d+)`)
	typeRE    = regexp.MustCompile("^cannot unmarshal !!(\\w+)(?: `(.*)`)? into (.+)$")
)

// syntaxError turns a YAML parse error in file into a ConfigError
// naming the file.
func syntaxError(file string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	return ConfigError{Key: file, Problem: "invalid YAML: " + msg}
}

// translate turns the first yaml.v3 decoding error into a ConfigError
// naming the key path, found by the line the error names.
func translate(err error, root *yaml.Node, file string) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) || len(te.Errors) == 0 {
		return syntaxError(file, err)
	}
	m := lineRE.FindStringSubmatch(te.Errors[0])
	if m == nil {
		return ConfigError{Problem: te.Errors[0]}
	}
	line, _ := strconv.Atoi(m[1])
	msg := m[2]
	if u := unknownRE.FindStringSubmatch(msg); u != nil {
		return ConfigError{Key: findKey(root, line, unknownKey(line, u[1])), Problem: "unknown key"}
	}
	if d := dupRE.FindStringSubmatch(msg); d != nil {
		return ConfigError{Key: findKey(root, line, unknownKey(line, d[1])), Problem: "given twice (first at line " + d[2] + ")"}
	}
	if t := typeRE.FindStringSubmatch(msg); t != nil {
		collection := t[1] == "seq" || t[1] == "map"
		return ConfigError{Key: findKey(root, line, badValue(line, collection)), Problem: typeProblem(t[1], t[2], t[3])}
	}
	return ConfigError{Key: "line " + m[1], Problem: msg}
}

func typeProblem(tag, value, into string) string {
	want := map[string]string{
		"time.Duration": "a duration such as 30s or 1m30s",
		"int":           "an integer",
		"bool":          "true or false",
		"string":        "a string",
	}[into]
	if strings.HasPrefix(into, "[]") {
		want = "a list"
	} else if strings.HasPrefix(into, "config.") {
		want = "a mapping of keys"
	}
	if want == "" {
		want = into
	}
	if value == "" {
		return fmt.Sprintf("a %s is not %s", tagName(tag), want)
	}
	return fmt.Sprintf("%q is not %s", value, want)
}

func tagName(tag string) string {
	switch tag {
	case "seq":
		return "list"
	case "map":
		return "mapping"
	}
	return tag
}

// match says whether the value v (under key k, nil in a sequence) is the
// node a decoding error at some line is about.
type match func(k, v *yaml.Node) bool

func unknownKey(line int, name string) match {
	return func(k, _ *yaml.Node) bool { return k != nil && k.Line == line && k.Value == name }
}

func badValue(line int, collection bool) match {
	return func(k, v *yaml.Node) bool {
		if collection {
			return v.Line == line && v.Kind != yaml.ScalarNode
		}
		return v.Line == line && v.Kind == yaml.ScalarNode && (k == nil || k.Line == line)
	}
}

// findKey returns the path of the first node under root that m accepts,
// or "line N" when none does.
func findKey(root *yaml.Node, line int, m match) string {
	if p, ok := walk(root, "", m); ok {
		return p
	}
	return "line " + strconv.Itoa(line)
}

func walk(n *yaml.Node, path string, m match) (string, bool) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if p, ok := visit(k, v, join(path, k.Value), m); ok {
				return p, true
			}
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			if p, ok := visit(nil, item, path+"["+strconv.Itoa(i)+"]", m); ok {
				return p, true
			}
		}
	}
	return "", false
}

func visit(k, v *yaml.Node, path string, m match) (string, bool) {
	if m(k, v) {
		return path, true
	}
	return walk(v, path, m)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
