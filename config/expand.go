package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// varRE is a reference to an environment variable in a YAML value:
// ${NAME} or ${NAME:-default}, NAME as POSIX shells spell one (letters,
// digits and underscores, not starting with a digit). "$${" is a literal
// "${". Anything else, "${not a name}" included, is left as written.
var varRE = regexp.MustCompile(`\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}`)

// Lookup finds an environment variable, as os.LookupEnv does.
type Lookup func(name string) (string, bool)

// expandVars records in refs the name of every variable referenced and replaces, in every scalar value under root (never in keys),
// ${NAME} by the variable's value and ${NAME:-default} by its value, or
// by default when it is unset or empty, as POSIX sh's parameter
// expansion reads them. A plain scalar whose text changed is typed again
// from its new text, so "max_connections: ${MAX}" reads an integer. It
// reports whether anything changed; an unset variable without a default
// is a ConfigError naming the key, the variable and the file's line.
func expandVars(root *yaml.Node, lookup Lookup, file string, refs *[]string) (bool, error) {
	changed := false
	var visit func(n *yaml.Node, path string) error
	visit = func(n *yaml.Node, path string) error {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if err := visit(n.Content[i+1], join(path, n.Content[i].Value)); err != nil {
					return err
				}
			}
		case yaml.SequenceNode:
			for i, item := range n.Content {
				if err := visit(item, path+"["+strconv.Itoa(i)+"]"); err != nil {
					return err
				}
			}
		case yaml.ScalarNode:
			if !strings.Contains(n.Value, "${") {
				return nil
			}
			v, err := expandValue(n.Value, lookup, refs)
			if err != nil {
				return ConfigError{Key: path, Problem: fmt.Sprintf("%s (%s line %d)", err, file, n.Line)}
			}
			if v != n.Value {
				n.Value, changed = v, true
				if n.Style == 0 {
					n.Tag = "" // typed from the new text
				}
			}
		}
		return nil
	}
	return changed, visit(root, "")
}

// expandValue expands the references in one value.
func expandValue(s string, lookup Lookup, refs *[]string) (string, error) {
	var err error
	out := varRE.ReplaceAllStringFunc(s, func(ref string) string {
		if ref == "$${" {
			return "${"
		}
		m := varRE.FindStringSubmatch(ref)
		*refs = append(*refs, m[1])
		v, set := lookup(m[1])
		if hasDefault := strings.Contains(ref, ":-"); hasDefault && v == "" {
			return m[2]
		}
		if !set && err == nil {
			err = fmt.Errorf("${%s} is not set and has no default (write ${%s:-default} for one)", m[1], m[1])
		}
		return v
	})
	return out, err
}
