package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
)

// progress draws a one-line progress bar on a terminal (stderr) for long
// operations: records, records/s, bytes read of the total. It draws nothing
// when stderr is not a terminal (pipelines, CI logs).
type progress struct {
	w       io.Writer
	on      bool
	label   string
	total   int64
	start   time.Time
	mu      sync.Mutex
	records int64
	bytes   int64
	stop    chan struct{}
	done    chan struct{}
}

func newProgress(w io.Writer, label string, total int64) *progress {
	p := &progress{w: w, label: label, total: total, start: time.Now()}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.on = true
		p.stop, p.done = make(chan struct{}), make(chan struct{})
		go p.loop()
	}
	return p
}

func (p *progress) update(records, bytes int64) {
	if !p.on {
		return
	}
	p.mu.Lock()
	p.records, p.bytes = records, bytes
	p.mu.Unlock()
}

func (p *progress) loop() {
	defer close(p.done)
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			fmt.Fprint(p.w, "\r\033[K")
			return
		case <-t.C:
			p.draw()
		}
	}
}

func (p *progress) draw() {
	p.mu.Lock()
	rec, b := p.records, p.bytes
	p.mu.Unlock()
	el := time.Since(p.start).Seconds()
	line := fmt.Sprintf("%s  %s records  %s rec/s  %s", p.label, groupDigits(rec), groupDigits(int64(float64(rec)/max(el, 1e-9))), humanBytes(b))
	if p.total > 0 {
		frac := min(float64(b)/float64(p.total), 1)
		const width = 24
		n := int(frac * width)
		bar := make([]byte, width)
		for i := range bar {
			if i < n {
				bar[i] = '#'
			} else {
				bar[i] = '.'
			}
		}
		line += fmt.Sprintf(" / %s [%s] %3.0f%%", humanBytes(p.total), bar, 100*frac)
	}
	fmt.Fprintf(p.w, "\r\033[K%s", line)
}

// finish removes the bar.
func (p *progress) finish() {
	if p.on {
		close(p.stop)
		<-p.done
		p.on = false
	}
}

func groupDigits(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return s
	}
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
