// Package readme holds no code: its test extracts every Go snippet of the
// repository's README.md, builds each as a program and runs it, so the
// README cannot drift from the API.
package readme
