package sqlhttp

import (
	"io"
	"net/http"
	"testing"
)

// A handler that aborts before its header fails the request, as a dropped
// connection would; one that aborts after it cuts the body off.
func TestInProcessAbort(t *testing.T) {
	before := inProcess{h: http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) })}
	if resp, err := (&http.Client{Transport: before}).Get("http://in-process/"); err == nil {
		resp.Body.Close()
		t.Fatalf("an aborted handler answered %d", resp.StatusCode)
	}
	after := inProcess{h: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("partial"))
		panic(http.ErrAbortHandler)
	})}
	resp, err := (&http.Client{Transport: after}).Get("http://in-process/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if body, err := io.ReadAll(resp.Body); err == nil {
		t.Fatalf("a body cut off read as complete: %q", body)
	}
}
