package services

import (
	"fmt"
	"net/http"
	"net/netip"
	"time"
)

// routerLog records one request the router served, for its heroku[router] log line.
type routerLog struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *routerLog) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *routerLog) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *routerLog) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// routerLine is Heroku's router log line for a request: at=info for an answer from a dyno,
// at=error with the error code (H14: no web dyno) otherwise.
func routerLine(r *http.Request, host, requestID, dyno, code string, started time.Time, w *routerLog) string {
	fwd := ""
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		fwd = ap.Addr().String()
	}
	took := time.Since(started).Milliseconds()
	if code != "" {
		return fmt.Sprintf(`at=error code=%s desc="No web processes running" method=%s path=%q host=%s request_id=%s fwd=%q dyno= connect= service= status=%d bytes=%d protocol=http`,
			code, r.Method, r.URL.RequestURI(), host, requestID, fwd, w.status, w.bytes)
	}
	return fmt.Sprintf(`at=info method=%s path=%q host=%s request_id=%s fwd=%q dyno=%s connect=0ms service=%dms status=%d bytes=%d protocol=http`,
		r.Method, r.URL.RequestURI(), host, requestID, fwd, dyno, took, w.status, w.bytes)
}
