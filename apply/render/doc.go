// Package render turns two versions of an object into what a person may
// read, and keeps Secret values out of everything shown: the unified diff
// (Myers, as `diff -u`), the field paths that changed, the server's noise
// left out (Diffable), Secret data and object-carrying annotations masked,
// and Secret values removed from the server's own messages (Redactor).
// It does no I/O.
package render
