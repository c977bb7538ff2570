// The reference for examples/tests/attachments.rs: Go's http.ServeContent serving one content
// with a given ETag and Last-Modified, so the test can send both servers the same range
// requests and compare the answers.
//
// Usage: go run servecontent.go CONTENT_FILE ETAG UNIX_SECONDS
//
// It listens on a free loopback port, prints "listening ADDR" on one line, and serves until
// its standard input is closed (so it never outlives the test that started it). Standard
// library only.
package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: servecontent CONTENT_FILE ETAG UNIX_SECONDS")
		os.Exit(2)
	}
	content, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	etag := os.Args[2]
	seconds, err := strconv.ParseInt(os.Args[3], 10, 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	modified := time.Unix(seconds, 0).UTC()

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", etag)
		// Set, so ServeContent does not sniff: the Rust route stores it the same way.
		w.Header().Set("Content-Type", "application/octet-stream")
		http.ServeContent(w, r, "", modified, bytes.NewReader(content))
	})
	go func() {
		// The test closes our standard input when it is done, or when it dies.
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	fmt.Printf("listening %s\n", listener.Addr())
	if err := http.Serve(listener, handler); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
