package synth

import (
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/gentre/gentre/pseudonymise"
)

// Fake identifying details. They exist so that tests can check that none
// of them reaches the store; any resemblance to a real person is chance.

var givenMale = []string{
	"Oliver", "George", "Harry", "Noah", "Jack", "Leo", "Arthur", "Muhammad", "Oscar", "Charlie",
	"Jacob", "Thomas", "Henry", "William", "Joshua", "Alfie", "Archie", "Ethan", "Isaac", "Theodore",
	"David", "Stephen", "Michael", "Paul", "Andrew", "Mark", "Richard", "Peter", "Graham", "Keith",
	"Derek", "Raymond", "Kenneth", "Arjun", "Tomasz", "Kwame", "Declan", "Rhys", "Callum", "Hamza",
}

var givenFemale = []string{
	"Olivia", "Amelia", "Isla", "Ava", "Ivy", "Freya", "Lily", "Florence", "Mia", "Willow",
	"Rosie", "Sophia", "Isabella", "Grace", "Evie", "Poppy", "Ella", "Aisha", "Maryam", "Zara",
	"Susan", "Margaret", "Patricia", "Janet", "Christine", "Karen", "Julie", "Linda", "Elaine", "Pauline",
	"Doreen", "Brenda", "Priya", "Agnieszka", "Abena", "Siobhan", "Ffion", "Niamh", "Catriona", "Fatima",
}

var familyNames = []string{
	"Ackroyd", "Ashworth", "Bainbridge", "Barraclough", "Blenkinsop", "Boothroyd", "Braithwaite", "Brocklehurst",
	"Cartwright", "Crabtree", "Dalrymple", "Entwistle", "Fairclough", "Fothergill", "Gascoigne", "Greenhalgh",
	"Haworth", "Hetherington", "Illingworth", "Kershaw", "Lumsden", "Mallinson", "Murgatroyd", "Nuttall",
	"Ormerod", "Pemberton", "Postlethwaite", "Quarmby", "Ramsbottom", "Rawnsley", "Sowerby", "Stansfield",
	"Sutcliffe", "Tattersall", "Thistlethwaite", "Uttley", "Wadsworth", "Whitworth", "Wolstenholme", "Holroyd",
	"Micklethwaite", "Pickersgill", "Scattergood", "Aspinall", "Catterall", "Smithson", "Okonkwo", "Adeyemi",
	"Mensah", "Chaudhry", "Siddiqui", "Raghunathan", "Kowalczyk", "Wisniewski", "Nakamura", "Papadopoulos",
	"McAllister", "Fitzgerald", "Llewellyn", "Pritchard", "Montgomery", "Cunningham", "Abernethy", "Drummond",
}

var streetNames = []string{
	"Acacia", "Larkspur", "Buttercup", "Foxglove", "Hawthorn", "Rowan", "Sycamore", "Juniper", "Primrose", "Meadowsweet",
	"Kingfisher", "Sandpiper", "Heron", "Lapwing", "Curlew", "Bramble", "Thornbury", "Ashdown", "Beechwood", "Millstone",
	"Quarry", "Chapel", "Orchard", "Brookside", "Windmill", "Tannery", "Ropewalk", "Cobbler", "Weaver", "Foundry",
}

var streetTypes = []string{"Road", "Street", "Close", "Avenue", "Lane", "Way", "Drive", "Crescent", "Gardens", "Grove"}

// district is a postcode district and its post town; weights are rough
// shares of the population.
type district struct {
	out, town string
	weight    int
}

var districts = []district{
	{"LS6", "Leeds", 4}, {"LS11", "Leeds", 3}, {"BD7", "Bradford", 3}, {"HX1", "Halifax", 2}, {"S10", "Sheffield", 3},
	{"S2", "Sheffield", 2}, {"YO31", "York", 2}, {"HU5", "Hull", 2}, {"NE6", "Newcastle upon Tyne", 3}, {"SR4", "Sunderland", 2},
	{"DH1", "Durham", 1}, {"TS5", "Middlesbrough", 2}, {"M14", "Manchester", 4}, {"M20", "Manchester", 3}, {"OL9", "Oldham", 2},
	{"BL1", "Bolton", 2}, {"L8", "Liverpool", 3}, {"L15", "Liverpool", 2}, {"PR1", "Preston", 2}, {"CA1", "Carlisle", 1},
	{"B15", "Birmingham", 4}, {"B23", "Birmingham", 3}, {"CV1", "Coventry", 2}, {"WV3", "Wolverhampton", 2}, {"ST4", "Stoke-on-Trent", 2},
	{"NG7", "Nottingham", 3}, {"LE2", "Leicester", 3}, {"DE22", "Derby", 2}, {"LN2", "Lincoln", 1}, {"NR2", "Norwich", 2},
	{"CB1", "Cambridge", 2}, {"IP4", "Ipswich", 1}, {"CM2", "Chelmsford", 2}, {"SW1A", "London", 1}, {"SW9", "London", 3},
	{"SE15", "London", 3}, {"E8", "London", 3}, {"E17", "London", 3}, {"N7", "London", 2}, {"NW10", "London", 3},
	{"W12", "London", 2}, {"EC1V", "London", 1}, {"CR0", "Croydon", 3}, {"HA0", "Wembley", 2}, {"IG1", "Ilford", 2},
	{"BN2", "Brighton", 2}, {"ME7", "Gillingham", 2}, {"CT1", "Canterbury", 1}, {"GU1", "Guildford", 1}, {"RG1", "Reading", 2},
	{"OX4", "Oxford", 2}, {"MK9", "Milton Keynes", 2}, {"SO14", "Southampton", 2}, {"PO4", "Portsmouth", 2}, {"BH8", "Bournemouth", 2},
	{"BS5", "Bristol", 3}, {"BA2", "Bath", 1}, {"EX4", "Exeter", 1}, {"PL4", "Plymouth", 2}, {"TR1", "Truro", 1},
	{"GL1", "Gloucester", 1}, {"SN1", "Swindon", 1}, {"WR5", "Worcester", 1}, {"HR1", "Hereford", 1},
}

var districtCum = func() []int {
	c := make([]int, len(districts))
	t := 0
	for i, d := range districts {
		t += d.weight
		c[i] = t
	}
	return c
}()

// inwardLetters are the letters a postcode's inward code may end with
// (never C, I, K, M, O or V).
const inwardLetters = "ABDEFGHJLNPQRSTUWXYZ"

// postcode draws a district and a real-looking full postcode in it.
func postcode(r *rand.Rand) (pc, town string) {
	u := r.IntN(districtCum[len(districtCum)-1])
	i := 0
	for u >= districtCum[i] {
		i++
	}
	d := districts[i]
	b := make([]byte, 0, 8)
	b = append(b, d.out...)
	b = append(b, ' ', byte('1'+r.IntN(9)), inwardLetters[r.IntN(len(inwardLetters))], inwardLetters[r.IntN(len(inwardLetters))])
	return string(b), d.town
}

// phone returns a mobile number from Ofcom's range reserved for drama
// (07700 900000 to 07700 900999).
func phone(r *rand.Rand) string { return fmt.Sprintf("07700 900%03d", r.IntN(1000)) }

// nhsNumbers yields distinct valid NHS numbers 999xxxxxxC: the six free
// digits run through an affine permutation of 0..999,999 chosen from the
// seed, skipping those with no check digit.
type nhsNumbers struct {
	a, b, k uint64
}

func newNHSNumbers(seed uint64) *nhsNumbers {
	r := newRand(seed, streamNHS, 0)
	a := uint64(0)
	for a%2 == 0 || a%5 == 0 { // coprime with 10^6
		a = 100_001 + r.Uint64N(800_000)
	}
	return &nhsNumbers{a: a, b: r.Uint64N(1_000_000)}
}

func (n *nhsNumbers) next() uint64 {
	for {
		x := (n.a*n.k + n.b) % 1_000_000
		n.k++
		if s, ok := pseudonymise.NHSNumberWithCheck(fmt.Sprintf("999%06d", x)); ok {
			v, _ := strconv.ParseUint(s, 10, 64)
			return v
		}
	}
}

// appendUUID appends a random (version 4) UUID drawn from r.
func appendUUID(b []byte, r *rand.Rand) []byte {
	const hex = "0123456789abcdef"
	hi, lo := r.Uint64(), r.Uint64()
	hi = hi&^(0xf<<12) | 4<<12 // version 4
	lo = lo&^(3<<62) | 2<<62   // variant 10
	for i := 0; i < 32; i++ {
		if i == 8 || i == 12 || i == 16 || i == 20 {
			b = append(b, '-')
		}
		var nib uint64
		if i < 16 {
			nib = hi >> (60 - 4*i) & 0xf
		} else {
			nib = lo >> (60 - 4*(i-16)) & 0xf
		}
		b = append(b, hex[nib])
	}
	return b
}

// labIDs yields sample IDs shaped like a sequencing lab's: plate and well,
// LP3000123-DNA_A01. Plates are numbered upwards from a random start with
// the odd plate skipped; wells go down the columns (A01, B01, ..., H12),
// leaving H12 for the plate's control.
type labIDs struct {
	r     *rand.Rand
	plate int
	well  int
}

func newLabIDs(r *rand.Rand) *labIDs {
	return &labIDs{r: r, plate: 3_000_000 + r.IntN(90_000), well: 0}
}

func (l *labIDs) next() string {
	if l.well == 95 { // H12: the control well
		l.well = 0
		l.plate += 1 + l.r.IntN(4)/3 // now and then a plate number is skipped
	}
	row, col := l.well%8, l.well/8+1
	l.well++
	return fmt.Sprintf("LP%07d-DNA_%c%02d", l.plate, 'A'+row, col)
}
