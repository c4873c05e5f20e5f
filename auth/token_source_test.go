package auth

import "testing"

func TestExtractToken(t *testing.T) {
	cases := []struct {
		name                               string
		auth, protos, cookie, query, cname string
		tok                                string
		src                                TokenSource
		echo                               string
	}{
		{name: "nothing", src: SourceNone},
		{name: "header", auth: "Bearer h.t.x", tok: "h.t.x", src: SourceHeader},
		{name: "header scheme any case", auth: "bEaReR   h.t.x ", tok: "h.t.x", src: SourceHeader},
		{name: "header wins over all", auth: "Bearer h", protos: "bearer.p", cookie: "fanout_token=c", query: "token=q", tok: "h", src: SourceHeader},
		{name: "basic auth ignored", auth: "Basic dXNlcjpwYXNz", query: "token=q", tok: "q", src: SourceQuery},
		{name: "empty bearer falls through", auth: "Bearer ", cookie: "fanout_token=c", tok: "c", src: SourceCookie},
		{name: "protocol", protos: "pusher, bearer.a.b.c", tok: "a.b.c", src: SourceProtocol, echo: "bearer.a.b.c"},
		{name: "protocol first entry", protos: "bearer.a.b.c,chat", tok: "a.b.c", src: SourceProtocol, echo: "bearer.a.b.c"},
		{name: "protocol wins over cookie", protos: "bearer.p", cookie: "fanout_token=c", tok: "p", src: SourceProtocol, echo: "bearer.p"},
		{name: "protocol without token", protos: "chat, bearer.", query: "token=q", tok: "q", src: SourceQuery},
		{name: "protocol look-alike", protos: "xbearer.p", src: SourceNone},
		{name: "cookie", cookie: "a=1; fanout_token=c.d.e; b=2", tok: "c.d.e", src: SourceCookie},
		{name: "cookie quoted", cookie: `fanout_token="c"`, tok: "c", src: SourceCookie},
		{name: "cookie custom name", cookie: "fanout_token=x; jwt=y", cname: "jwt", tok: "y", src: SourceCookie},
		{name: "cookie name is exact", cookie: "my_fanout_token=x", src: SourceNone},
		{name: "cookie wins over query", cookie: "fanout_token=c", query: "token=q", tok: "c", src: SourceCookie},
		{name: "query", query: "protocol=7&client=js&token=q.r.s", tok: "q.r.s", src: SourceQuery},
		{name: "query escaped", query: "token=a%2Eb+c", tok: "a.b c", src: SourceQuery},
		{name: "query bad escape skipped", query: "token=%zz&token=ok", tok: "ok", src: SourceQuery},
		{name: "query key is exact", query: "xtoken=q&tokens=r", src: SourceNone},
		{name: "query empty", query: "token=", src: SourceNone},
	}
	for _, c := range cases {
		tok, src, echo := ExtractToken(c.auth, c.protos, c.cookie, c.query, c.cname)
		if tok != c.tok || src != c.src || echo != c.echo {
			t.Errorf("%s: got (%q, %v, %q), want (%q, %v, %q)", c.name, tok, src, echo, c.tok, c.src, c.echo)
		}
	}
}

func TestTokenSourceString(t *testing.T) {
	for s, want := range map[TokenSource]string{
		SourceNone: "none", SourceHeader: "header", SourceProtocol: "protocol",
		SourceCookie: "cookie", SourceQuery: "query", 99: "none",
	} {
		if s.String() != want {
			t.Errorf("%d.String() = %q, want %q", s, s.String(), want)
		}
	}
}
