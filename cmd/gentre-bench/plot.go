package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// The cohort report's plot: grouped bars of wall time (log scale), one group
// per size and question, one bar per tool, drawn with image/draw and the
// 7×13 bitmap font of golang.org/x/image/font/basicfont.

// plotSeries is one kind of bar (a tool), with its colour.
type plotSeries struct {
	Name  string
	Color color.RGBA
}

// plotGroup is one cluster of bars; Values[i] belongs to series i, NaN when
// that tool was not measured.
type plotGroup struct {
	Label  []string // lines under the group
	Values []float64
}

var cohortSeries = []plotSeries{
	{"gentre query (whole process)", color.RGBA{0x1f, 0x4e, 0x9a, 0xff}},
	{"gentre engine only (median, as a server)", color.RGBA{0x7f, 0xb3, 0xe8, 0xff}},
	{"plink2 --keep --freq", color.RGBA{0xe0, 0x8a, 0x1e, 0xff}},
	{"bcftools view -S | +fill-tags | norm | query", color.RGBA{0xa0, 0x3c, 0x3c, 0xff}},
}

// plotGroups turns the report into bar groups (seconds).
func (rep *cohortReport) plotGroups() []plotGroup {
	var gs []plotGroup
	best := func(q *questionResult, tool string) float64 {
		if t, ok := q.Process[tool]; ok && len(t.Runs) > 0 {
			return t.Best().Wall.Seconds()
		}
		return math.NaN()
	}
	for _, r := range rep.Sizes {
		for _, q := range r.Questions {
			eng := math.NaN()
			if r.Engine != nil && r.Engine.Questions[q.Q.Key] != nil {
				eng = r.Engine.Questions[q.Q.Key].Freq.Median().Seconds()
			}
			gs = append(gs, plotGroup{
				Label:  []string{commas(int64(r.People)) + " people", q.Q.Key, fmt.Sprintf("(%s samples)", commas(int64(len(q.Truth.Samples))))},
				Values: []float64{best(q, toolGentre), eng, best(q, toolPlink2), best(q, toolBcftools)},
			})
		}
	}
	return gs
}

func (rep *cohortReport) writePlot(w io.Writer) error {
	title := fmt.Sprintf("gentre cohort query: allele frequencies on chr22 in a care-record cohort, %s", rep.Date.Format("2006-01-02"))
	img := drawBarChart(title, "wall time, log scale (lower is better)", cohortSeries, rep.plotGroups())
	return png.Encode(w, img)
}

// Layout of the chart, in pixels.
const (
	plotBarW   = 42
	plotBarGap = 4
	plotGroupG = 36
	plotLeft   = 70
	plotRight  = 20
	plotTop    = 100
	plotHeight = 340
	plotBottom = 70
)

// drawBarChart draws grouped bars on a log10 axis.
func drawBarChart(title, yLabel string, series []plotSeries, groups []plotGroup) *image.RGBA {
	groupW := len(series)*(plotBarW+plotBarGap) - plotBarGap
	legendCol := 0
	for _, s := range series {
		legendCol = max(legendCol, textWidth(s.Name)+40)
	}
	width := max(plotLeft+len(groups)*(groupW+plotGroupG)+plotRight, 10+2*legendCol, textWidth(title)+20)
	height := plotTop + plotHeight + plotBottom
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)

	black := color.RGBA{0x20, 0x20, 0x20, 0xff}
	grey := color.RGBA{0xdd, 0xdd, 0xdd, 0xff}
	text(img, 10, 20, title, black)
	text(img, 10, 38, yLabel, black)
	// Legend, two columns.
	for i, s := range series {
		x, y := 10+(i%2)*legendCol, 56+(i/2)*18
		fill(img, image.Rect(x, y-10, x+12, y+2), s.Color)
		text(img, x+18, y, s.Name, black)
	}

	// The axis spans whole decades around the data.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, g := range groups {
		for _, v := range g.Values {
			if v > 0 && !math.IsNaN(v) {
				lo, hi = min(lo, math.Log10(v)), max(hi, math.Log10(v))
			}
		}
	}
	if math.IsInf(lo, 0) {
		lo, hi = -3, 0
	}
	lo, hi = math.Floor(lo), math.Ceil(hi)
	if hi <= lo {
		hi = lo + 1
	}
	base := plotTop + plotHeight
	y := func(v float64) int {
		f := (math.Log10(v) - lo) / (hi - lo)
		return base - int(math.Round(f*plotHeight))
	}
	for d := lo; d <= hi; d++ {
		yy := y(math.Pow(10, d))
		fill(img, image.Rect(plotLeft, yy, width-plotRight, yy+1), grey)
		label := decadeLabel(d)
		text(img, plotLeft-8-textWidth(label), yy+4, label, black)
	}
	fill(img, image.Rect(plotLeft, plotTop, plotLeft+1, base+1), black)
	fill(img, image.Rect(plotLeft, base, width-plotRight, base+1), black)

	for gi, g := range groups {
		x0 := plotLeft + plotGroupG/2 + gi*(groupW+plotGroupG)
		for si, v := range g.Values {
			if si >= len(series) || math.IsNaN(v) || v <= 0 {
				continue
			}
			x := x0 + si*(plotBarW+plotBarGap)
			top := min(y(v), base-1)
			fill(img, image.Rect(x, top, x+plotBarW, base), series[si].Color)
			label := shortDur(v)
			text(img, x+(plotBarW-textWidth(label))/2, top-3, label, black)
		}
		for li, l := range g.Label {
			text(img, x0+(groupW-textWidth(l))/2, base+18+li*15, l, black)
		}
	}
	return img
}

// decadeLabel names 10^d seconds.
func decadeLabel(d float64) string {
	s := math.Pow(10, d)
	switch {
	case s < 1:
		return fmt.Sprintf("%g ms", s*1e3)
	}
	return fmt.Sprintf("%g s", s)
}

// shortDur is a bar's label: at most 5 characters when it can be.
func shortDur(s float64) string {
	switch {
	case s < 0.001:
		return fmt.Sprintf("%.2fms", s*1e3)
	case s < 0.01:
		return fmt.Sprintf("%.1fms", s*1e3)
	case s < 1:
		return fmt.Sprintf("%.0fms", s*1e3)
	case s < 10:
		return fmt.Sprintf("%.1fs", s)
	}
	return fmt.Sprintf("%.0fs", s)
}

func fill(img *image.RGBA, r image.Rectangle, c color.Color) {
	draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Src)
}

func text(img *image.RGBA, x, y int, s string, c color.Color) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func textWidth(s string) int {
	return font.MeasureString(basicfont.Face7x13, s).Round()
}
