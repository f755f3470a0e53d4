package synth

import (
	"math"
	"math/rand/v2"
	"time"
)

// AgeBand5 is one row of the population pyramid: the share of the
// population aged Lo..Lo+4 (Lo = 90: 90 and over) and the fraction of it
// that is male.
type AgeBand5 struct {
	Lo       int
	Share    float64 // percent of the whole population (the rows sum to ~100)
	MaleFrac float64
}

// Pyramid is a coarse England population pyramid in 5-year bands: shares
// and sex ratios approximating the shape of the ONS mid-year population
// estimates for England around 2021-22 (rounded values, not a
// transcription of the ONS tables): about 50.7% female overall, women the
// majority from the late twenties and a clear majority over 80.
var Pyramid = [...]AgeBand5{
	{0, 5.6, 0.512}, {5, 6.0, 0.512}, {10, 6.0, 0.512}, {15, 5.6, 0.513},
	{20, 6.0, 0.508}, {25, 6.6, 0.498}, {30, 6.8, 0.494}, {35, 6.6, 0.494},
	{40, 6.2, 0.495}, {45, 6.4, 0.494}, {50, 6.9, 0.492}, {55, 6.7, 0.492},
	{60, 5.8, 0.488}, {65, 5.0, 0.482}, {70, 5.1, 0.475}, {75, 3.7, 0.460},
	{80, 2.6, 0.435}, {85, 1.6, 0.390}, {90, 0.9, 0.300},
}

// NBands10 is the number of 10-year age bands of the prevalence tables:
// 0-9, 10-19, ..., 70-79, 80+.
const NBands10 = 9

// Band10 returns the 10-year band index of an age.
func Band10(age int) int { return min(age/10, NBands10-1) }

// Condition keys (bit numbers of person.flags), in drawing order.
const (
	condT1D = iota
	condT2D
	condHTN
	condMI
	condAF
	condHF
	condAngina
	condStroke
	condChol
	condObesity
	condCKD
	nConditions
)

// A code is a SNOMED CT concept a condition is recorded with, and its
// share of that condition's records.
type code struct {
	ID     int64
	Weight float64
}

// Prevalence is one condition's model: the concepts it is coded with, its
// prevalence (percent of people) by 10-year age band for men and women,
// and the youngest onset age.
type Prevalence struct {
	Key string
	// Concept is the concept whose descendants-or-self (<<) select the
	// condition's people; Codes are what the records carry (Concept or
	// its descendants) with their shares.
	Concept  int64
	Codes    []code
	MinOnset float64
	Male     [NBands10]float64 // percent, bands 0-9 ... 80+
	Female   [NBands10]float64
}

// Prevalences are the conditions drawn for every person, with prevalences
// chosen to resemble the age and sex gradients of English primary-care
// registers and surveys (QOF, Health Survey for England): documented
// targets for testing, not estimates. Conditions are independent of each other, except that a
// person with type 1 diabetes does not also get type 2 (type 2 is drawn
// among the others with probability p/(1−p₁), so its prevalence stays p).
var Prevalences = [nConditions]Prevalence{
	condT1D: {Key: "t1d", Concept: 46635009, Codes: []code{{46635009, 1}}, MinOnset: 1,
		Male:   [NBands10]float64{0.15, 0.35, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5},
		Female: [NBands10]float64{0.15, 0.30, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4}},
	condT2D: {Key: "t2d", Concept: 44054006, Codes: []code{{44054006, 1}}, MinOnset: 12,
		Male:   [NBands10]float64{0, 0.05, 0.4, 1.5, 4.5, 9, 14, 19, 18},
		Female: [NBands10]float64{0, 0.05, 0.4, 1.2, 3.0, 6, 9.5, 13.5, 14}},
	condHTN: {Key: "htn", Concept: 38341003, Codes: []code{{59621000, 0.7}, {38341003, 0.3}}, MinOnset: 15,
		Male:   [NBands10]float64{0, 0.2, 1.5, 5, 12, 24, 38, 50, 56},
		Female: [NBands10]float64{0, 0.2, 0.8, 3, 8, 18, 32, 47, 58}},
	condMI: {Key: "mi", Concept: 22298006, Codes: []code{{57054005, 0.6}, {22298006, 0.4}}, MinOnset: 30,
		Male:   [NBands10]float64{0, 0, 0, 0.2, 1.0, 3, 6, 9, 12},
		Female: [NBands10]float64{0, 0, 0, 0.05, 0.25, 0.8, 1.8, 3.5, 6}},
	condAF: {Key: "af", Concept: 49436004, Codes: []code{{49436004, 1}}, MinOnset: 30,
		Male:   [NBands10]float64{0, 0, 0.05, 0.1, 0.4, 1.2, 3.5, 8, 15},
		Female: [NBands10]float64{0, 0, 0.02, 0.05, 0.2, 0.6, 2.0, 5.5, 12}},
	condHF: {Key: "hf", Concept: 84114007, Codes: []code{{84114007, 0.5}, {42343007, 0.5}}, MinOnset: 30,
		Male:   [NBands10]float64{0, 0, 0, 0.05, 0.3, 0.8, 2, 4.5, 9},
		Female: [NBands10]float64{0, 0, 0, 0.03, 0.2, 0.4, 1.2, 3, 7}},
	condAngina: {Key: "angina", Concept: 194828000, Codes: []code{{194828000, 1}}, MinOnset: 30,
		Male:   [NBands10]float64{0, 0, 0, 0.1, 0.8, 2.5, 5, 8, 10},
		Female: [NBands10]float64{0, 0, 0, 0.05, 0.5, 1.5, 3.5, 6, 8}},
	condStroke: {Key: "stroke", Concept: 230690007, Codes: []code{{230690007, 1}}, MinOnset: 20,
		Male:   [NBands10]float64{0, 0, 0.05, 0.1, 0.4, 1.0, 2.5, 5, 8},
		Female: [NBands10]float64{0, 0, 0.05, 0.1, 0.4, 0.8, 2.0, 4.5, 8}},
	condChol: {Key: "chol", Concept: 55822004, Codes: []code{{13644009, 0.8}, {55822004, 0.2}}, MinOnset: 18,
		Male:   [NBands10]float64{0, 0.1, 1, 3, 8, 14, 20, 22, 18},
		Female: [NBands10]float64{0, 0.1, 1, 2, 6, 13, 20, 22, 18}},
	condObesity: {Key: "obesity", Concept: 414916001, Codes: []code{{414916001, 1}}, MinOnset: 5,
		Male:   [NBands10]float64{1, 4, 8, 12, 14, 15, 14, 11, 6},
		Female: [NBands10]float64{1, 4, 9, 13, 15, 16, 15, 12, 7}},
	condCKD: {Key: "ckd", Concept: 709044004, Codes: []code{{709044004, 1}}, MinOnset: 30,
		Male:   [NBands10]float64{0, 0, 0, 0.3, 1, 3, 7, 14, 25},
		Female: [NBands10]float64{0, 0, 0, 0.4, 1.2, 3.5, 8, 16, 28}},
}

// Sex codes.
const (
	male   = 1
	female = 2
)

// person is what is kept of each person between the passes: enough to
// write their records and to draw their planted genotypes.
type person struct {
	nhs   uint64 // the 10-digit NHS number
	birth int32  // days since 1970-01-01
	flags uint16 // bit c set: has condition c
	sex   uint8
	age   uint8 // completed years on the as-of date
}

func (p *person) has(c int) bool { return p.flags>>c&1 == 1 }

// Random streams: every concern draws from its own PCG stream derived from
// the seed.
const (
	streamPeople uint64 = iota + 1
	streamRecords
	streamNHS
	streamSamples
	streamGenotypes
	streamShuffle
	streamMedication
)

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// newRand returns the random stream for (seed, stream, index).
func newRand(seed, stream, index uint64) *rand.Rand {
	return rand.New(rand.NewPCG(splitmix(seed^splitmix(stream)), splitmix(index^splitmix(stream<<32+0x5e))))
}

// pyramidCum is the cumulative share of Pyramid, normalised to 1.
var pyramidCum = func() (c [len(Pyramid)]float64) {
	t := 0.0
	for i, b := range Pyramid {
		t += b.Share
		c[i] = t
	}
	for i := range c {
		c[i] /= t
	}
	return c
}()

// drawPerson draws person i's sex, age, birth date and conditions.
func drawPerson(seed uint64, i int, asOf time.Time) person {
	r := newRand(seed, streamPeople, uint64(i))
	u := r.Float64()
	b := 0
	for b < len(pyramidCum)-1 && u >= pyramidCum[b] {
		b++
	}
	band := Pyramid[b]
	var p person
	p.sex = female
	if r.Float64() < band.MaleFrac {
		p.sex = male
	}
	age := band.Lo + r.IntN(5)
	if band.Lo == 90 { // 90 and over: a short geometric tail to about 105
		age = 90 + min(int(-math.Log(1-r.Float64())*3.5), 15)
	}
	p.age = uint8(age)
	// A birth date uniform among those giving this age on asOf.
	hi := days(asOf.AddDate(-age, 0, 0))
	lo := days(asOf.AddDate(-age-1, 0, 1))
	p.birth = lo + int32(r.IntN(int(hi-lo+1)))

	for c := range Prevalences {
		prev := prevalence(c, p.sex, age)
		if c == condT2D {
			if p.has(condT1D) {
				r.Float64() // keep the stream aligned
				continue
			}
			prev /= 1 - prevalence(condT1D, p.sex, age)
		}
		if r.Float64() < prev {
			p.flags |= 1 << c
		}
	}
	return p
}

// prevalence returns condition c's prevalence (a probability) for a person.
func prevalence(c int, sex uint8, age int) float64 {
	pr := &Prevalences[c]
	if sex == male {
		return pr.Male[Band10(age)] / 100
	}
	return pr.Female[Band10(age)] / 100
}

// days returns the days since 1970-01-01 of t's date.
func days(t time.Time) int32 {
	return int32(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// appendDate appends days since 1970-01-01 as YYYY-MM-DD (proleptic
// Gregorian; Howard Hinnant's civil_from_days).
func appendDate(b []byte, d int32) []byte {
	z := int64(d) + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	dd := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return append(b, byte('0'+y/1000%10), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-', byte('0'+dd/10), byte('0'+dd%10))
}
