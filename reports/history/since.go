package history

import (
	"fmt"
	"time"
)

// DateLayout is the layout of a DATE in Since specs and Trend output.
const DateLayout = "2006-01-02"

// Since picks the two runs to compare for "winfleet report diff --since
// SPEC". new is always the newest readable run; old depends on spec:
//
//   - "last": the readable run just before the newest (the two newest
//     runs). This is what report diff compares with no arguments.
//   - "yesterday": the newest readable run that started on the previous
//     calendar day (Options.Location; "today" is the day of Options.Now),
//     other than the newest run itself.
//   - "YYYY-MM-DD" (DATE): the newest readable run that started on or
//     before DATE, i.e. before the next day's midnight in
//     Options.Location, other than the newest run itself.
//
// Times are the runs' start times. When no run fits, the error wraps
// ErrNotEnough and says what the history holds. Unreadable and foreign
// files are skipped and returned as Problems.
func (s *Store) Since(spec string) (old, new Run, problems []Problem, err error) {
	entries, problems, err := s.List()
	if err != nil {
		return Run{}, Run{}, nil, err
	}
	newest, more := s.newestReadable(entries, 1)
	problems = append(problems, more...)
	if len(newest) == 0 {
		return Run{}, Run{}, problems, fmt.Errorf("history %s: %w: no readable run", s.dir, ErrNotEnough)
	}
	new = newest[0]
	// Only entries older than the newest readable one are candidates.
	var older []Entry
	for _, e := range entries {
		if compareEntries(e, new.Entry) < 0 {
			older = append(older, e)
		}
	}
	var before time.Time // old must have started before this (zero: no bound)
	var after time.Time  // and at or after this (zero: no bound)
	switch spec {
	case "last":
	case "yesterday":
		y, m, d := s.now().In(s.loc).Date()
		today := time.Date(y, m, d, 0, 0, 0, 0, s.loc)
		before, after = today, today.AddDate(0, 0, -1)
	default:
		day, perr := time.ParseInLocation(DateLayout, spec, s.loc)
		if perr != nil {
			return Run{}, Run{}, problems, fmt.Errorf("history: --since %q: want last, yesterday or a date YYYY-MM-DD", spec)
		}
		before = day.AddDate(0, 0, 1)
	}
	var candidates []Entry
	for _, e := range older {
		if (before.IsZero() || e.Time.Before(before)) && (after.IsZero() || !e.Time.Before(after)) {
			candidates = append(candidates, e)
		}
	}
	found, more := s.newestReadable(candidates, 1)
	problems = append(problems, more...)
	if len(found) == 0 {
		what := "no readable run before the newest"
		switch spec {
		case "yesterday":
			what = "no readable run on " + after.Format(DateLayout) + " (yesterday) other than the newest"
		case "last":
		default:
			what = "no readable run on or before " + spec + " other than the newest"
		}
		return Run{}, Run{}, problems, fmt.Errorf("history %s: %w: %s (%d run(s), newest %s)",
			s.dir, ErrNotEnough, what, len(entries), new.Name)
	}
	return found[0], new, problems, nil
}
