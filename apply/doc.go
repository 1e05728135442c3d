// Package apply is kapply's engine: it plans a bundle of objects (order and
// stages), writes them through the dynamic client and returns the results as
// data. It never prints; progress is reported through a callback.
package apply
