package protocol

import "strconv"

// AppendSocketID appends the socket id of connection id in the Pusher form
// "<digits>.<digits>": the high 32 bits (fanout's node), a dot, the low 32
// bits (the connection's sequence on that node)
// (https://pusher.com/docs/channels/library_auth_reference/pusher-websockets-protocol/).
// At most 21 bytes; it allocates only if dst lacks room.
func AppendSocketID(dst []byte, id uint64) []byte {
	dst = strconv.AppendUint(dst, id>>32, 10)
	dst = append(dst, '.')
	return strconv.AppendUint(dst, id&0xffffffff, 10)
}

// ParseSocketID is the inverse of AppendSocketID; ok is false for ids that
// AppendSocketID cannot produce (each part must be a decimal number below
// 2^32; leading zeros are accepted).
func ParseSocketID(s string) (id uint64, ok bool) {
	for i := 0; i < len(s); i++ {
		if s[i] != '.' {
			continue
		}
		hi, err1 := strconv.ParseUint(s[:i], 10, 32)
		lo, err2 := strconv.ParseUint(s[i+1:], 10, 32)
		if err1 != nil || err2 != nil {
			return 0, false
		}
		return hi<<32 | lo, true
	}
	return 0, false
}
