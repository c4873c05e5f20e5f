package tlsconn

import "strconv"

// Alert is a TLS alert description (RFC 8446 section 6).
type Alert uint8

// The alerts the record layer sends or treats specially.
const (
	AlertCloseNotify       Alert = 0
	AlertUnexpectedMessage Alert = 10
	AlertBadRecordMAC      Alert = 20
	AlertRecordOverflow    Alert = 22
	AlertIllegalParameter  Alert = 47
	AlertDecodeError       Alert = 50
	AlertInternalError     Alert = 80
	AlertUserCanceled      Alert = 90
)

var alertNames = map[Alert]string{
	AlertCloseNotify: "close_notify", AlertUnexpectedMessage: "unexpected_message",
	AlertBadRecordMAC: "bad_record_mac", AlertRecordOverflow: "record_overflow",
	AlertIllegalParameter: "illegal_parameter", AlertDecodeError: "decode_error",
	AlertInternalError: "internal_error", AlertUserCanceled: "user_canceled",
}

func (a Alert) String() string {
	if s, ok := alertNames[a]; ok {
		return s
	}
	return "alert(" + strconv.Itoa(int(a)) + ")"
}

// AlertError ends a connection of the record layer: Remote reports an
// alert the peer sent (close_notify for an orderly close), otherwise the
// alert we sent because of what the peer sent. Read it with errors.As.
type AlertError struct {
	Alert  Alert
	Remote bool
}

func (e AlertError) Error() string {
	if e.Remote {
		return "tlsconn: peer sent " + e.Alert.String()
	}
	return "tlsconn: sent " + e.Alert.String()
}
