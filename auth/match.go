package auth

// MatchChannel reports whether channel matches one of the glob patterns
// of a JWT "channels" grant. '*' matches any run of characters, the empty
// run included ("private-user.42.*", "presence-*", "*"); every other byte
// matches itself. It does not allocate and runs in O(len(pattern) *
// len(channel)) at worst.
func MatchChannel(patterns []string, channel string) bool {
	for _, p := range patterns {
		if glob(p, channel) {
			return true
		}
	}
	return false
}

// glob matches with one backtrack point: the last '*' seen.
func glob[P string | []byte](p P, s string) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(p) && p[pi] == s[si]:
			pi++
			si++
		case star >= 0:
			mark++
			pi, si = star+1, mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
