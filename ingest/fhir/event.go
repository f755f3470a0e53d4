package fhir

// events turns a decoded event resource into Events, pushed on r.pending
// (or held until the end of the Bundle when a medicationReference may yet
// be resolved by a later entry).
func (r *Reader) events(t EventType, e *eventRes, line int, inBundle bool) error {
	rt := t.String()
	subj, ok, present := e.Subject.ref()
	if !present {
		subj, ok, present = e.Patient.ref()
	}
	switch {
	case !present && (t == Observation || t == Encounter):
		// FHIR allows these without a subject (device or group data);
		// nothing links them to a person.
		r.stats.Skipped[rt+" (no subject)"]++
		return nil
	case !present:
		return r.errf(line, "%s.subject: missing", rt)
	case !ok:
		return r.errf(line, "%s.subject: not a usable reference", rt)
	}
	ev := Event{Type: t, Subject: subj, Status: e.Status}
	switch t {
	case Condition:
		ev.Date = first(e.OnsetDateTime, e.OnsetPeriod.Start)
		ev.Status = conditionStatus(&e.ClinicalStatus)
		if ev.Codes = e.Code.codes(); ev.Codes == nil {
			return r.errf(line, "Condition.code: missing or has no coding with a code")
		}
	case Procedure:
		ev.Date = first(e.PerformedDateTime, e.PerformedPeriod.Start)
		if ev.Codes = e.Code.codes(); ev.Codes == nil {
			return r.errf(line, "Procedure.code: missing or has no coding with a code")
		}
	case Encounter:
		ev.Date = e.Period.Start
		if len(e.Type) > 0 {
			ev.Codes = e.Type[0].codes()
		}
		if ev.Codes == nil && e.Class != nil && e.Class.Code != "" {
			ev.Codes = []Coding{*e.Class}
		}
		if ev.Codes == nil {
			return r.errf(line, "Encounter: type and class missing or without a code")
		}
	case Observation:
		ev.Date = first(e.EffectiveDateTime, e.EffectivePeriod.Start, e.EffectiveInstant)
		return r.observation(ev, e, line)
	case MedicationRequest, MedicationStatement:
		if t == MedicationRequest {
			ev.Date = e.AuthoredOn
		} else {
			ev.Date = first(e.EffectiveDateTime, e.EffectivePeriod.Start)
		}
		return r.medicationEvent(ev, e, line, inBundle)
	}
	r.pushEvent(line, &ev)
	return nil
}

// observation emits one Event per component (blood pressure: systolic and
// diastolic), plus the Observation itself when it has no components or has
// a value of its own.
func (r *Reader) observation(ev Event, e *eventRes, line int) error {
	codes := e.Code.codes()
	if codes == nil {
		return r.errf(line, "Observation.code: missing or has no coding with a code")
	}
	for i := range e.Component {
		c := &e.Component[i]
		ce := ev
		if ce.Codes = c.Code.codes(); ce.Codes == nil {
			return r.errf(line, "Observation.component.code: missing or has no coding with a code")
		}
		setValue(&ce, c.ValueQuantity)
		r.pushEvent(line, &ce)
	}
	if len(e.Component) == 0 || (e.ValueQuantity != nil && e.ValueQuantity.Value != nil) {
		ev.Codes = codes
		setValue(&ev, e.ValueQuantity)
		r.pushEvent(line, &ev)
	}
	return nil
}

func setValue(ev *Event, q *quantity) {
	if q == nil || q.Value == nil {
		return
	}
	ev.Value, ev.HasValue = *q.Value, true
	ev.Unit = first(q.Unit, q.Code)
}

// medicationEvent resolves the medication of a MedicationRequest or
// MedicationStatement: medicationCodeableConcept, a contained Medication,
// or a Medication seen in this input (in a Bundle, later entries too).
func (r *Reader) medicationEvent(ev Event, e *eventRes, line int, inBundle bool) error {
	rt := ev.Type.String()
	if cc := e.MedicationCodeableConcept; cc != nil {
		if ev.Codes = cc.codes(); ev.Codes == nil {
			return r.errf(line, "%s.medicationCodeableConcept: no coding with a code", rt)
		}
		r.pushEvent(line, &ev)
		return nil
	}
	if e.MedicationReference == nil {
		return r.errf(line, "%s.medication: missing", rt)
	}
	ref, ok, _ := e.MedicationReference.ref()
	if !ok || ref.Kind == KindNHSNumber {
		return r.errf(line, "%s.medicationReference: not a usable reference", rt)
	}
	ev.Medication = ref
	if ref.Kind == KindContained {
		for i := range e.Contained {
			if m := &e.Contained[i]; m.ResourceType == "Medication" && m.ID == ref.ID {
				var cc codeableConcept
				if len(m.Code) > 0 {
					if reason, err := decode(m.Code, &cc, rt+".contained.code"); err != nil {
						return r.errf(line, "%s", reason)
					}
				}
				ev.Codes = cc.codes()
				r.pushEvent(line, &ev)
				return nil
			}
		}
		return r.errf(line, "%s.medicationReference: contained Medication not found", rt)
	}
	if codes, ok := r.meds[ref]; ok {
		ev.Codes = codes
	} else if inBundle {
		r.deferred = append(r.deferred, Item{Line: line, Event: &ev})
		return nil
	}
	r.pushEvent(line, &ev)
	return nil
}

// flushDeferred resolves the Events held until the end of a Bundle and
// emits them.
func (r *Reader) flushDeferred() {
	for _, it := range r.deferred {
		if codes, ok := r.meds[it.Event.Medication]; ok {
			it.Event.Codes = codes
		}
		r.pushEvent(it.Line, it.Event)
	}
	clear(r.deferred)
	r.deferred = r.deferred[:0]
}

func (r *Reader) pushEvent(line int, ev *Event) {
	if ev.Codes != nil && len(ev.Codes) != cap(ev.Codes) {
		ev.Codes = ev.Codes[:len(ev.Codes):len(ev.Codes)]
	}
	r.stats.Events++
	r.pending = append(r.pending, Item{Line: line, Event: ev})
}

// conditionStatus is the clinicalStatus code, preferring the
// condition-clinical code system.
func conditionStatus(cc *codeableConcept) string {
	s := ""
	for _, c := range cc.Coding {
		if c.System == "http://terminology.hl7.org/CodeSystem/condition-clinical" && c.Code != "" {
			return c.Code
		}
		if s == "" {
			s = c.Code
		}
	}
	return s
}

func first(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
