// Package apply is kapply's engine: it plans a bundle of objects (order,
// stages and dependencies), writes them through the dynamic client
// (server-side apply, update, create, dry runs), compares them with the
// cluster (Diff), prunes the members an ApplySet no longer holds and
// deletes bundles, and returns the results as data. It never prints;
// progress is reported through a callback.
//
// Concerns with a seam of their own live in packages below it, which
// never import it: readiness (an object's readiness, no I/O), watcher
// (waiting for and reporting readiness), render (diff text and Secret
// masking) and applyset (the ApplySet parent, ID and labels).
package apply
