// The survey's example app: a web server that answers every request with one line of text.
// Built with Debian's golang-go and default settings (bench/stage-images.sh).
package main

import (
	"fmt"
	"log"
	"net/http"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello from tinyx bench")
	})
	log.Fatal(http.ListenAndServe(":8080", nil))
}
