package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// gatewayReport is one run of the gateway load test.
type gatewayReport struct {
	Date     time.Time
	Machine  machine
	Versions versions
	Config   *gatewayConfig
	Command  string
	LoadEnd  string
	Sizes    []*gatewaySizeResult
}

// The target (#4): a single-variant query end to end through the
// server, with authentication and the audit log, at 50,000 samples.
const (
	targetGatewaySize = 50_000
	gatewayLatency    = 10 * time.Millisecond
)

func (r *gatewaySizeResult) failed() bool {
	if !r.AuditOK || r.Load == nil || r.Load.Totals().Errors > 0 {
		return true
	}
	for _, s := range r.Sequential {
		if s.Errors > 0 {
			return true
		}
	}
	for i := range r.SeqChecks {
		if !r.SeqChecks[i].OK() {
			return true
		}
	}
	return false
}

func (rep *gatewayReport) failed() bool {
	for _, s := range rep.Sizes {
		if s.failed() {
			return true
		}
	}
	return false
}

// sizeLabel names a size: its people, or the reused store.
func (r *gatewaySizeResult) sizeLabel() string {
	if r.Reused != "" {
		return "reused store"
	}
	return commas(int64(r.People)) + " people"
}

// gatewayTargets evaluates the targets on one size.
func gatewayTargets(r *gatewaySizeResult) []cohortTarget {
	t := cohortTarget{Name: "single-variant `count carrier(V)` and `carriers V` end to end through the server (REST, token, audit), one client, median < 10 ms",
		At: targetGatewaySize}
	var parts []string
	var oks []bool
	for _, s := range r.Sequential {
		if s.Key == "grpc-count-variant" {
			continue
		}
		p50 := percentile(s.Lat, 0.5)
		parts = append(parts, fmt.Sprintf("%s: median %s ms, p99 %s ms", s.Key, ms(p50), ms(percentile(s.Lat, 0.99))))
		oks = append(oks, s.Errors == 0 && p50 < gatewayLatency)
	}
	t.Measured, t.Met = strings.Join(parts, "; "), allYes(oks)
	ts := []cohortTarget{t}
	if r.Load != nil {
		tot := r.Load.Totals()
		ts = append(ts, cohortTarget{Name: "bounded load on loopback: no errors (provoked refusals counted apart)",
			Measured: fmt.Sprintf("%s requests, %d errors, %s provoked refusals, %.0f requests/s", commas(int64(tot.Requests())), tot.Errors,
				commas(int64(tot.Expected)), float64(tot.Requests())/r.Load.Wall.Seconds()),
			Met: yesNo(tot.Errors == 0)})
	}
	ts = append(ts, cohortTarget{Name: "the audit log verifies after the load (`gentre audit verify`)", Measured: r.AuditVerify, Met: yesNo(r.AuditOK)})
	return ts
}

func (rep *gatewayReport) summaryTargets() []cohortTarget {
	if len(rep.Sizes) == 0 {
		return nil
	}
	var out []cohortTarget
	for i, proto := range gatewayTargets(rep.Sizes[0]) {
		t := cohortTarget{Name: proto.Name, At: proto.At}
		var parts []string
		var oks []bool
		for _, s := range rep.Sizes {
			st := gatewayTargets(s)[i]
			if proto.At != 0 && s.People != proto.At {
				continue
			}
			parts = append(parts, s.sizeLabel()+": "+st.Measured)
			oks = append(oks, st.Met == "yes")
		}
		t.Measured, t.Met = strings.Join(parts, "; "), allYes(oks)
		if len(parts) == 0 {
			t.Measured, t.Met = fmt.Sprintf("size %s not in this run", commas(int64(proto.At))), "not run"
		}
		out = append(out, t)
	}
	return out
}

func (rep *gatewayReport) writeMarkdown(w io.Writer) error {
	cfg := rep.Config
	var b strings.Builder
	pf := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	pf("# gentre gateway load test, %s\n\n", rep.Date.Format("2006-01-02"))
	if rep.failed() {
		pf("> **ERRORS**: at least one request failed, a check failed or the audit log did not verify (see below).\n\n")
	}
	pf("Produced by `%s`.\n\n", rep.Command)
	pf("`gentre serve` runs as its own process on loopback (REST and, on a second port, gRPC) over a store made by `gentre synth`\n")
	pf("and `gentre ingest`; projects and tokens are made with `gentre project create` and `gentre token create` before it starts.\n")
	pf("The harness is the only client: first one client, one request at a time (single-variant latency), then %d concurrent\n", cfg.Clients)
	pf("clients for %s with the mix below. Every answer is checked for the status it should have; the refusals the mix\n", loadLength(cfg))
	pf("provokes on purpose (an industry partner with a spent budget) are counted apart from errors. Latency is the client's:\n")
	pf("request sent to answer read, over keep-alive connections (HTTP/1.1; one shared HTTP/2 connection for gRPC).\n\n")
	pf("| | |\n|---|---|\n")
	pf("| machine | %s, %d logical CPUs, %.1f GiB RAM, Linux %s (shared: the harness, the server and other work run on the same cores) |\n",
		rep.Machine.CPU, rep.Machine.Cores, float64(rep.Machine.MemBytes)/(1<<30), rep.Machine.Kernel)
	pf("| load average | %s at the start, %s at the end (1, 5, 15 min; other work on the machine makes timings noisy) |\n", rep.Machine.Load, rep.LoadEnd)
	pf("| gentre | commit %s |\n| go | %s |\n| date | %s |\n", rep.Versions.Gentre, rep.Versions.Go, rep.Date.Format(time.RFC3339))
	pf("| server | `gentre serve` defaults: every core per query, 1 GiB decoded-chunk cache, audit log with fsync, production noise source |\n")
	pf("| data | `gentre synth`, seed %d, %d sites targeted; `--generator go` above %s people |\n", cfg.Seed, cfg.Sites, commas(goGeneratorAbove))
	pf("| industry | %d partners, each alone in a project, four questions each (ε 0.5 each: the whole default budget of 2), asked by every client in turn; one more partner whose budget is spent before the load |\n\n", cfg.Partners)

	pf("**The mix** (weights out of 100)\n\n| type | weight | request |\n|---|---:|---|\n")
	for _, k := range mix {
		pf("| %s | %d | %s |\n", k.key, k.weight, k.desc)
	}
	pf("\n## Targets\n\n| target | at | measured | met |\n|---|---:|---|---|\n")
	for _, t := range rep.summaryTargets() {
		pf("| %s | %s | %s | %s |\n", mdEscape(t.Name), atLabel(t.At), mdEscape(t.Measured), t.Met)
	}
	pf("\n")
	for _, r := range rep.Sizes {
		rep.sizeMarkdown(pf, r)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func latencyHeader(pf func(string, ...any), extra string) {
	pf("| type |%s requests | ok | provoked refusals | errors | p50 ms | p90 ms | p99 ms | max ms |\n", extra)
	pf("|---|%s---:|---:|---:|---:|---:|---:|---:|---:|\n", strings.Repeat("---:|", strings.Count(extra, "|")))
}

func latencyRow(pf func(string, ...any), s *typeStats, extra string) {
	pf("| %s |%s %s | %s | %s | %d | %s | %s | %s | %s |\n", s.Key, extra, commas(int64(s.Requests())), commas(int64(s.OK)),
		commas(int64(s.Expected)), s.Errors, ms(percentile(s.Lat, 0.5)), ms(percentile(s.Lat, 0.9)), ms(percentile(s.Lat, 0.99)), ms(percentile(s.Lat, 1)))
}

func (rep *gatewayReport) sizeMarkdown(pf func(string, ...any), r *gatewaySizeResult) {
	if r.Reused != "" {
		pf("## Reused store\n\n`%s`, served as it was.\n\n", r.Reused)
	} else {
		pf("## %s people: %s samples\n\n", commas(int64(r.People)), commas(int64(r.Samples)))
		pf("Made by `%s` in %.1f s, generator **%s**; %s samples linked to people, %s not. Then (not timed here):\n\n",
			r.SynthCmd, r.SynthTime.Seconds(), r.Generator, commas(int64(r.Linked)), commas(int64(r.Samples-r.Linked)))
		pf("| step | wall | peak RSS | command |\n|---|---:|---:|---|\n")
		for _, p := range r.Prep {
			pf("| %s | %s | %s | `%s` |\n", p.What, secs(p.M.Wall.Seconds()), mb(p.M.MaxRSS), p.Cmd)
		}
		pf("\n")
	}
	pf("Server: `%s`. %d variants in the mix (the 4 planted ones, and up to 30 with AC > 0 from each of 8 regions of 100 kb, found with the researcher's freq).\n\n",
		r.ServerCmd, r.Variants)

	pf("**One client, one request at a time** (after one untimed pass over every variant)\n\n")
	latencyHeader(pf, "")
	for _, s := range r.Sequential {
		latencyRow(pf, s, "")
	}
	pf("\n")
	for _, c := range r.SeqChecks {
		status := "agree"
		if !c.OK() {
			status = fmt.Sprintf("**%d mismatches**: %s", c.Mismatches, mdEscape(strings.Join(c.Examples, "; ")))
		}
		pf("Check: %s, %d %s: %s.\n\n", c.Name, c.Compared, c.Unit, status)
	}

	if l := r.Load; l != nil {
		tot := l.Totals()
		pf("**Load: %d clients, %s** — %s requests in %s: **%.0f requests/s**; server CPU %.1f s (%.2f cores of %d); server peak RSS **%s** (VmHWM)\n\n",
			l.Clients, loadLength(rep.Config), commas(int64(tot.Requests())), secs(l.Wall.Seconds()), float64(tot.Requests())/l.Wall.Seconds(),
			r.ServerCPU.Seconds(), r.ServerCPU.Seconds()/l.Wall.Seconds(), rep.Machine.Cores, mb(r.ServerRSS))
		latencyHeader(pf, " requests/s |")
		for _, s := range l.Types {
			latencyRow(pf, s, fmt.Sprintf(" %.0f |", float64(s.Requests())/l.Wall.Seconds()))
		}
		latencyRow(pf, tot, fmt.Sprintf(" %.0f |", float64(tot.Requests())/l.Wall.Seconds()))
		pf("\n")
		for _, s := range append(l.Types, r.Sequential...) {
			for _, e := range s.Examples {
				pf("- error (%s): %s\n", s.Key, mdEscape(e))
			}
		}
	}
	pf("Audit log after the server stopped: `gentre audit verify`: %s.\n\n", mdEscape(r.AuditVerify))
	if len(r.ServerLog) > 0 {
		pf("Server log (stderr, other than listening and stopping):\n\n```\n")
		for i, l := range r.ServerLog {
			if i == 20 {
				pf("... %d more lines\n", len(r.ServerLog)-20)
				break
			}
			pf("%s\n", l)
		}
		pf("```\n\n")
	}
	for _, n := range r.Notes {
		pf("- %s\n", mdEscape(n))
	}
	if len(r.Notes) > 0 {
		pf("\n")
	}
}

// writeTSV writes one row per request type and phase.
func (rep *gatewayReport) writeTSV(w io.Writer) error {
	var b strings.Builder
	b.WriteString("people\tphase\ttype\tclients\tseconds\trequests\tok\tprovoked_refusals\terrors\tp50_ms\tp90_ms\tp99_ms\tmax_ms\trequests_per_s\tserver_peak_rss_bytes\tserver_cpu_s\tload_start\tload_end\n")
	row := func(r *gatewaySizeResult, phase string, s *typeStats, clients int, wall time.Duration) {
		rate := 0.0
		if wall > 0 {
			rate = float64(s.Requests()) / wall.Seconds()
		}
		fmt.Fprintf(&b, "%d\t%s\t%s\t%d\t%.3f\t%d\t%d\t%d\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t%.1f\t%d\t%.2f\t%s\t%s\n",
			r.People, phase, s.Key, clients, wall.Seconds(), s.Requests(), s.OK, s.Expected, s.Errors,
			msf(percentile(s.Lat, 0.5)), msf(percentile(s.Lat, 0.9)), msf(percentile(s.Lat, 0.99)), msf(percentile(s.Lat, 1)),
			rate, r.ServerRSS, r.ServerCPU.Seconds(), rep.Machine.Load, rep.LoadEnd)
	}
	for _, r := range rep.Sizes {
		for _, s := range r.Sequential {
			var sum time.Duration
			for _, d := range s.Lat {
				sum += d
			}
			row(r, "sequential", s, 1, sum)
		}
		if l := r.Load; l != nil {
			for _, s := range l.Types {
				row(r, "load", s, l.Clients, l.Wall)
			}
			row(r, "load", l.Totals(), l.Clients, l.Wall)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func msf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
