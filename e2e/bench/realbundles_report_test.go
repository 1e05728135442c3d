//go:build bench

package bench

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// writeRealBundles writes the real-bundles table (issue 19): per bundle,
// kapply's and kubectl's first apply and no-op re-apply (medians, every
// run listed), their ratio, kapply's CRD wait, and whether both left the
// same objects on the cluster; then the targets, PASS or MISS.
func writeRealBundles(w io.Writer, results []*realResult, runs int) {
	fmt.Fprintf(w, "\n## Real bundles\n\nEach first apply on a fresh minimal cluster with an empty discovery cache, then a no-op re-apply on the same cluster once the API server has established the bundle's CRDs (the bench waits for that, untimed, after a tool that returns before: **established** is from the start of the first apply until then); kapply `apply` and `kubectl apply --server-side` alternating which goes first, %d runs each. **CRD wait** is kapply's own figure (`crdWaitSeconds` in `-o json`): from the end of the first stage until the last CRD it wrote was established; the other objects are written meanwhile. **alone** is the part of it after every object was written (`crdWaitAloneSeconds`): what the wait added to the run.\n\n", runs)
	fmt.Fprintf(w, "| bundle | objects (CRDs) | kapply first | kubectl first | ratio | kapply established | kubectl established | kapply no-op | kubectl no-op | ratio | kapply CRD wait | alone | objects after the first apply |\n")
	fmt.Fprintf(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, r := range results {
		kf, sf := durations(r.kapply, func(x *realRun) time.Duration { return x.first }), durations(r.kubectl, func(x *realRun) time.Duration { return x.first })
		kn, sn := durations(r.kapply, func(x *realRun) time.Duration { return x.noop }), durations(r.kubectl, func(x *realRun) time.Duration { return x.noop })
		wait := durations(r.kapply, func(x *realRun) time.Duration { return x.crdWait })
		alone := durations(r.kapply, func(x *realRun) time.Duration { return x.crdWaitAlone })
		ke, se := durations(r.kapply, func(x *realRun) time.Duration { return x.established }), durations(r.kubectl, func(x *realRun) time.Duration { return x.established })
		fmt.Fprintf(w, "| %s | %d (%d) | %s | %s | %.2fx | %s | %s | %s | %s | %.2fx | %s | %s | %s |\n", r.bundle.name, r.objects, r.crds,
			runsCell(kf), runsCell(sf), medianOf(kf).Seconds()/medianOf(sf).Seconds(), medianCell(ke), medianCell(se),
			runsCell(kn), runsCell(sn), medianOf(kn).Seconds()/medianOf(sn).Seconds(),
			runsCell(wait), runsCell(alone), r.objectsCell())
	}
	fmt.Fprintf(w, "\n| target (issue 19; informational, the bench never fails on a MISS) | bundle | measured | |\n|---|---|---|---|\n")
	for _, r := range results {
		kf, sf := medianOf(durations(r.kapply, func(x *realRun) time.Duration { return x.first })), medianOf(durations(r.kubectl, func(x *realRun) time.Duration { return x.first }))
		kn, sn := medianOf(durations(r.kapply, func(x *realRun) time.Duration { return x.noop })), medianOf(durations(r.kubectl, func(x *realRun) time.Duration { return x.noop }))
		fmt.Fprintf(w, "| first apply no slower than kubectl | %s | %.2fs vs %.2fs | %s |\n", r.bundle.name, kf.Seconds(), sf.Seconds(), verdict(kf <= sf))
		fmt.Fprintf(w, "| no-op ≥ 1.5x faster than kubectl | %s | %.2fx faster | %s |\n", r.bundle.name, sn.Seconds()/kn.Seconds(), verdict(sn.Seconds() >= 1.5*kn.Seconds()))
	}
}

func verdict(pass bool) string {
	if pass {
		return "PASS"
	}
	return "MISS"
}

func durations(runs []*realRun, f func(*realRun) time.Duration) []time.Duration {
	var out []time.Duration
	for _, r := range runs {
		out = append(out, f(r))
	}
	return out
}

func medianOf(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

// medianCell is the median alone.
func medianCell(ds []time.Duration) string { return fmt.Sprintf("%.2fs", medianOf(ds).Seconds()) }

// runsCell is the median and every run, in the order they ran.
func runsCell(ds []time.Duration) string {
	var secs []string
	for _, d := range ds {
		secs = append(secs, fmt.Sprintf("%.2f", d.Seconds()))
	}
	return fmt.Sprintf("%.2fs (%s)", medianOf(ds).Seconds(), strings.Join(secs, " "))
}

// objectsCell says whether every run of both tools left the same objects
// of the bundle on the cluster, which are missing where not, why
// kubectl's first apply failed, and whether kapply's re-apply found
// every object unchanged.
func (r *realResult) objectsCell() string {
	var parts []string
	describe := func(tool string, runs []*realRun) {
		counts := map[string]int{}
		var order []string
		for _, run := range runs {
			if len(run.present) == r.objects && run.firstErr == "" {
				continue
			}
			missing := slices.DeleteFunc(slices.Clone(r.names), func(n string) bool { return slices.Contains(run.present, n) })
			msg := fmt.Sprintf("%d of %d", len(run.present), r.objects)
			if len(missing) > 0 {
				msg += ", missing " + strings.Join(missing, ", ")
			}
			if run.firstErr != "" {
				msg += " (its first apply failed: " + firstLine(run.firstErr) + ")"
			}
			if counts[msg] == 0 {
				order = append(order, msg)
			}
			counts[msg]++
		}
		for _, msg := range order {
			parts = append(parts, fmt.Sprintf("%s, %d of %d runs: %s", tool, counts[msg], len(runs), msg))
		}
	}
	describe("kapply", r.kapply)
	describe("kubectl", r.kubectl)
	cell := fmt.Sprintf("same, all %d", r.objects)
	if len(parts) > 0 {
		cell = strings.Join(parts, "; ")
	}
	for i, run := range r.kapply {
		if run.noopActions["unchanged"] != r.objects {
			cell += fmt.Sprintf("; kapply no-op run %d: %v", i+1, run.noopActions)
		}
	}
	return cell
}

// firstLine is the first error line of a failed command's output,
// shortened for a table cell.
func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, "error") || strings.Contains(line, "no matches") {
			l = line
			break
		}
	}
	l = strings.TrimSpace(l)
	if len(l) > 160 {
		l = l[:160] + "..."
	}
	return strings.ReplaceAll(l, "|", "\\|")
}
