//go:build bench

package bench

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// writeFull writes the markdown tables of a full suite: every measurement,
// then the issue 8 targets with PASS or MISS.
func (s *suite) writeFull(w io.Writer) {
	nss := s.n / 100
	perKind := (s.n - nss) / 4
	fmt.Fprintf(w, "\n## %d objects\n\n%d Namespaces, %d each of Deployment, Service and Ingress, %d ConfigMaps, in one file; %d runs (%d for one object).\n\n",
		s.n, nss, perKind, s.n-nss-3*perKind, s.runs, max(s.runs, 5))
	fmt.Fprintf(w, "| measurement | median | runs | requests (bundle, by verb) | discovery requests, warm cache | peak RSS | vs ceiling | vs kubectl |\n")
	fmt.Fprintf(w, "|---|---:|---|---|---:|---:|---:|---:|\n")
	rows := []struct {
		m, ceil, kubectl *measurement
	}{
		{s.ceilFirst, s.ceilFirst, s.ssaFirst},
		{s.ceilNoop, s.ceilNoop, s.ssaNoop},
		{s.kFirst, s.ceilFirst, s.ssaFirst},
		{s.kNoop, s.ceilNoop, s.ssaNoop},
		{s.kChanged, s.ceilNoop, nil},
		{s.kDiff, s.ceilNoop, s.kubectlDiff},
		{s.kOne, nil, s.kubectlOne},
		{s.ssaFirst, s.ceilFirst, nil},
		{s.ssaNoop, s.ceilNoop, nil},
		{s.csaFirst, s.ceilFirst, nil},
		{s.csaNoop, s.ceilNoop, nil},
		{s.create, s.ceilFirst, nil},
		{s.kubectlDiff, s.ceilNoop, nil},
		{s.kubectlOne, nil, nil},
		{s.kzFirst, s.ceilFirst, s.kzPipe},
		{s.kzPipe, s.ceilFirst, nil},
	}
	for _, r := range rows {
		if r.m == nil {
			continue
		}
		var secs []string
		for _, d := range r.m.times {
			secs = append(secs, fmt.Sprintf("%.2f", d.Seconds()))
		}
		fmt.Fprintf(w, "| %s | %.2fs | %s | %s | %s | %s | %s | %s |\n", r.m.name, r.m.median().Seconds(), strings.Join(secs, " "),
			verbs(r.m), discoveryCell(r.m),
			orDash(int(r.m.rssMiB), fmt.Sprintf("%.0f MiB", r.m.rssMiB)), ratio(r.m, r.ceil), ratio(r.m, r.kubectl))
	}

	fmt.Fprintf(w, "\n### Targets (%d objects; informational, the bench never fails on a MISS)\n\n| target | measured | |\n|---|---|---|\n", s.n)
	target := func(name, measured string, pass bool) {
		verdict := "MISS"
		if pass {
			verdict = "PASS"
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", name, measured, verdict)
	}
	x := func(a, b *measurement) float64 { return a.median().Seconds() / b.median().Seconds() }
	target("first apply ≤ 1.25x the ceiling", fmt.Sprintf("%.2fx", x(s.kFirst, s.ceilFirst)), x(s.kFirst, s.ceilFirst) <= 1.25)
	if s.ssaFirst != nil {
		target("first apply ≥ 2x faster than kubectl apply --server-side", fmt.Sprintf("%.1fx faster", x(s.ssaFirst, s.kFirst)), x(s.ssaFirst, s.kFirst) >= 2)
	}
	target("no-op re-apply ≤ 1.25x the ceiling's no-op", fmt.Sprintf("%.2fx", x(s.kNoop, s.ceilNoop)), x(s.kNoop, s.ceilNoop) <= 1.25)
	if s.csaNoop != nil {
		target("no-op re-apply ≥ 10x faster than kubectl apply (client-side)", fmt.Sprintf("%.1fx faster", x(s.csaNoop, s.kNoop)), x(s.csaNoop, s.kNoop) >= 10)
	}
	target("diff, no changes ≤ 1.5x the ceiling's no-op", fmt.Sprintf("%.2fx", x(s.kDiff, s.ceilNoop)), x(s.kDiff, s.ceilNoop) <= 1.5)
	if s.kubectlDiff != nil {
		target("diff, no changes faster than kubectl diff --server-side", fmt.Sprintf("%.1fx faster", x(s.kubectlDiff, s.kDiff)), x(s.kubectlDiff, s.kDiff) > 1)
	}
	target("warm discovery cache: ≤ 3 discovery requests per run", fmt.Sprintf("apply %d, diff %d", s.kNoop.discovery, s.kDiff.discovery), max(s.kNoop.discovery, s.kDiff.discovery) <= 3)
	writes, gets := s.kFirst.count(writeVerbs...), s.kFirst.count("GET")
	target("first apply: one write per object", fmt.Sprintf("%d writes for %d objects", writes, s.n), writes <= s.n)
	target("first apply: no read per object", fmt.Sprintf("%d GETs, %d LISTs", gets, s.kFirst.count("LIST")), gets < s.n/10)
	nwrites, ngets := s.kNoop.count(writeVerbs...), s.kNoop.count("GET")
	target("no-op re-apply: one write per object, no read per object", fmt.Sprintf("%d writes, %d GETs, %d LISTs", nwrites, ngets, s.kNoop.count("LIST")), nwrites <= s.n && ngets < s.n/10)
	if s.ssaFirst != nil {
		target("peak RSS ≤ kubectl apply --server-side's (first apply)", fmt.Sprintf("%.0f vs %.0f MiB", s.kFirst.rssMiB, s.ssaFirst.rssMiB), s.kFirst.rssMiB <= s.ssaFirst.rssMiB)
	}
	if s.kubectlOne != nil {
		target("one object, warm cache: no slower than kubectl apply --server-side", fmt.Sprintf("%.3fs vs %.3fs", s.kOne.median().Seconds(), s.kubectlOne.median().Seconds()), s.kOne.median() <= s.kubectlOne.median())
	}
}

// writeScaling writes kapply against the ceiling at every size (time and
// peak RSS), kapply diff against kubectl diff, the issue 16 targets at the
// largest size, and whether kapply's peak RSS grows linearly.
func writeScaling(w io.Writer, ss []*suite) {
	fmt.Fprintf(w, "\n## Scaling (kapply and the ceiling; first applies each on a fresh cluster, BENCH_RUNS runs; no-ops one run per size above 1,000)\n\n")
	fmt.Fprintf(w, "| objects | ceiling first | kapply first | ratio | ceiling no-op | kapply no-op | ratio | kapply requests (first) | ceiling peak RSS | kapply peak RSS | ratio | MiB per 1,000 objects | kubectl --server-side first |\n")
	fmt.Fprintf(w, "|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|\n")
	ss = slices.Clone(ss)
	slices.SortFunc(ss, func(a, b *suite) int { return a.n - b.n })
	for _, s := range ss {
		kubectl := "–"
		if s.ssaFirst != nil {
			kubectl = fmt.Sprintf("%.2fs, %.0f MiB", s.ssaFirst.median().Seconds(), s.ssaFirst.rssMiB)
		}
		fmt.Fprintf(w, "| %d | %.2fs | %.2fs | %.2fx | %.2fs | %.2fs | %.2fx | %s | %.0f MiB | %.0f MiB | %.2fx | %.1f | %s |\n", s.n,
			s.ceilFirst.median().Seconds(), s.kFirst.median().Seconds(), ratio1(s.kFirst, s.ceilFirst),
			s.ceilNoop.median().Seconds(), s.kNoop.median().Seconds(), ratio1(s.kNoop, s.ceilNoop),
			verbs(s.kFirst), s.ceilFirst.rssMiB, s.kFirst.rssMiB, s.kFirst.rssMiB/s.ceilFirst.rssMiB, s.kFirst.rssMiB/float64(s.n)*1000, kubectl)
	}

	fmt.Fprintf(w, "\n| objects | kapply diff, no changes | peak RSS | vs kapply apply's RSS | kubectl diff --server-side | peak RSS | time ratio | RSS ratio |\n")
	fmt.Fprintf(w, "|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, s := range ss {
		if s.kDiff == nil {
			continue
		}
		kubectl, tr, mr := "–", "–", "–"
		kubectlRSS := "–"
		if s.kubectlDiff != nil {
			kubectl, kubectlRSS = fmt.Sprintf("%.2fs", s.kubectlDiff.median().Seconds()), fmt.Sprintf("%.0f MiB", s.kubectlDiff.rssMiB)
			tr, mr = ratio(s.kDiff, s.kubectlDiff), fmt.Sprintf("%.2fx", s.kDiff.rssMiB/s.kubectlDiff.rssMiB)
		}
		fmt.Fprintf(w, "| %d | %.2fs | %.0f MiB | %.2fx | %s | %s | %s | %s |\n", s.n, s.kDiff.median().Seconds(), s.kDiff.rssMiB,
			s.kDiff.rssMiB/s.kFirst.rssMiB, kubectl, kubectlRSS, tr, mr)
	}

	big := ss[len(ss)-1]
	fmt.Fprintf(w, "\n| target (%d objects, issue 16) | measured | |\n|---|---|---|\n", big.n)
	target := func(name, measured string, pass bool) {
		verdict := "MISS"
		if pass {
			verdict = "PASS"
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", name, measured, verdict)
	}
	x := ratio1(big.kFirst, big.ceilFirst)
	target("first apply ≤ 1.10x the ceiling", fmt.Sprintf("%.2fx", x), x <= 1.10)
	r := big.kFirst.rssMiB / big.ceilFirst.rssMiB
	target("apply peak RSS ≤ 1.25x the ceiling's", fmt.Sprintf("%.0f vs %.0f MiB, %.2fx", big.kFirst.rssMiB, big.ceilFirst.rssMiB, r), r <= 1.25)
	if big.kDiff != nil {
		d := big.kDiff.rssMiB / big.kFirst.rssMiB
		target("diff peak RSS ≤ 1.2x kapply apply's", fmt.Sprintf("%.0f vs %.0f MiB, %.2fx", big.kDiff.rssMiB, big.kFirst.rssMiB, d), d <= 1.2)
	}
	if big.kDiff != nil && big.kubectlDiff != nil {
		target("diff peak RSS below kubectl diff --server-side's", fmt.Sprintf("%.0f vs %.0f MiB", big.kDiff.rssMiB, big.kubectlDiff.rssMiB), big.kDiff.rssMiB < big.kubectlDiff.rssMiB)
	}
	if len(ss) < 2 {
		return
	}
	// Linear: the growth per object between the two largest sizes is no
	// more than 1.5 times that between the two smallest (with two sizes:
	// RSS grows no faster than the object count).
	a, b := ss[0], ss[len(ss)-1]
	pass := b.kFirst.rssMiB/a.kFirst.rssMiB <= float64(b.n)/float64(a.n)
	measured := fmt.Sprintf("%.0f → %.0f MiB for %d → %d objects", a.kFirst.rssMiB, b.kFirst.rssMiB, a.n, b.n)
	if len(ss) >= 3 {
		c := ss[len(ss)-2]
		lo := (ss[1].kFirst.rssMiB - a.kFirst.rssMiB) / float64(ss[1].n-a.n) * 1000
		hi := (b.kFirst.rssMiB - c.kFirst.rssMiB) / float64(b.n-c.n) * 1000
		pass = hi <= 1.5*lo
		measured += fmt.Sprintf("; %.1f MiB per 1,000 more objects from %d to %d, %.1f from %d to %d", lo, a.n, ss[1].n, hi, c.n, b.n)
	}
	target("kapply peak RSS grows linearly with the bundle", measured, pass)
}

func ratio1(a, b *measurement) float64 { return a.median().Seconds() / b.median().Seconds() }

func ratio(a, b *measurement) string {
	if b == nil || a == b {
		if a == b && b != nil {
			return "1.00x"
		}
		return "–"
	}
	return fmt.Sprintf("%.2fx", ratio1(a, b))
}

func discoveryCell(m *measurement) string {
	if m.discovery < 0 {
		return "–"
	}
	return fmt.Sprintf("%d (cold %d), openapi %d", m.discovery, m.coldDiscovery, m.openapi)
}

func orDash(n int, s string) string {
	if n <= 0 {
		return "–"
	}
	return s
}

// verbs formats the median run's requests: per verb on the bundle's
// resources, then the rest.
func verbs(m *measurement) string {
	per := map[string]int{}
	other := 0
	for k, v := range m.counts[m.medianIndex()] {
		verb, res, _ := strings.Cut(k, " ")
		if bundleResources[res] {
			per[verb] += v
		} else {
			other += v
		}
	}
	var parts []string
	for _, v := range slices.Sorted(maps.Keys(per)) {
		parts = append(parts, fmt.Sprintf("%s %d", v, per[v]))
	}
	if other > 0 {
		parts = append(parts, fmt.Sprintf("other %d", other))
	}
	return strings.Join(parts, ", ")
}
