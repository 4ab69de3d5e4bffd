package apimodel

import (
	"fmt"
	"slices"
)

// Drift is how a newer copy of a model differs from an older one, for the
// input shapes of the older one's operations.
type Drift struct {
	// Changed lists rules that differ: a constraint, a member's shape or
	// wire name, whether it is required. The older copy enforces stale
	// rules until it is regenerated.
	Changed []string
	// Added lists members only the newer copy has: the older one does
	// not check them (harmless until a caller sends them).
	Added []string
}

// Compare reports how newer differs from older, shape by shape, over the
// operations older holds.
func Compare(older, newer *Model) Drift {
	var d Drift
	seen := map[string]bool{}
	var cmp func(a, b *Shape, where string)
	cmp = func(a, b *Shape, where string) {
		if seen[a.Name] {
			return
		}
		seen[a.Name] = true
		if b == nil {
			d.Changed = append(d.Changed, fmt.Sprintf("%s: shape %s is gone", where, a.Name))
			return
		}
		if diff := ownDiff(a, b); diff != "" {
			d.Changed = append(d.Changed, fmt.Sprintf("%s: shape %s %s", where, a.Name, diff))
		}
		for _, bm := range b.Members {
			if _, ok := a.MemberNamed(bm.Name); !ok {
				d.Added = append(d.Added, a.Name+"."+bm.Name)
			}
		}
		for _, am := range a.Members {
			bm, ok := b.MemberNamed(am.Name)
			switch {
			case !ok:
				d.Changed = append(d.Changed, fmt.Sprintf("%s: member %s.%s is gone", where, a.Name, am.Name))
				continue
			case refDiff(am.Ref, bm.Ref) != "":
				d.Changed = append(d.Changed, fmt.Sprintf("%s: member %s.%s %s", where, a.Name, am.Name, refDiff(am.Ref, bm.Ref)))
				continue
			case a.IsRequired(am.Name) != b.IsRequired(am.Name):
				d.Changed = append(d.Changed, fmt.Sprintf("%s: member %s.%s required %v, now %v", where, a.Name, am.Name, a.IsRequired(am.Name), b.IsRequired(am.Name)))
			}
			cmp(am.Shape, bm.Shape, where)
		}
		for _, pair := range [][2]*Ref{{a.Member, b.Member}, {a.Key, b.Key}, {a.Value, b.Value}} {
			if pair[0] == nil || pair[1] == nil {
				continue // a type change, reported above
			}
			if diff := refDiff(*pair[0], *pair[1]); diff != "" {
				d.Changed = append(d.Changed, fmt.Sprintf("%s: shape %s element %s", where, a.Name, diff))
				continue
			}
			cmp(pair[0].Shape, pair[1].Shape, where)
		}
	}
	for _, name := range older.OperationNames() {
		a := older.operations[name]
		b, ok := newer.operations[name]
		switch {
		case !ok:
			d.Changed = append(d.Changed, "operation "+name+" is gone")
		case a.Input == nil || b.Input == nil:
			if (a.Input == nil) != (b.Input == nil) {
				d.Changed = append(d.Changed, "operation "+name+": input shape added or removed")
			}
		case a.Input.Name != b.Input.Name:
			d.Changed = append(d.Changed, fmt.Sprintf("operation %s: input %s, now %s", name, a.Input.Name, b.Input.Name))
		default:
			cmp(a.Input, b.Input, name)
		}
	}
	return d
}

// ownDiff compares the rules a shape states on its own values.
func ownDiff(a, b *Shape) string {
	switch {
	case a.Type != b.Type:
		return fmt.Sprintf("type %s, now %s", a.Type, b.Type)
	case !sameBound(a.Min, b.Min):
		return fmt.Sprintf("min %s, now %s", bound(a.Min), bound(b.Min))
	case !sameBound(a.Max, b.Max):
		return fmt.Sprintf("max %s, now %s", bound(a.Max), bound(b.Max))
	case a.Pattern != b.Pattern:
		return fmt.Sprintf("pattern %q, now %q", a.Pattern, b.Pattern)
	case !slices.Equal(a.Enum, b.Enum):
		return fmt.Sprintf("enum %v, now %v", a.Enum, b.Enum)
	case a.Sensitive != b.Sensitive || a.Flattened != b.Flattened:
		return "sensitive or flattened changed"
	}
	return ""
}

func refDiff(a, b Ref) string {
	switch {
	case a.Shape.Name != b.Shape.Name:
		return fmt.Sprintf("shape %s, now %s", a.Shape.Name, b.Shape.Name)
	case a.LocationName != b.LocationName || a.QueryName != b.QueryName || a.Flattened != b.Flattened:
		return "wire name changed"
	}
	return ""
}

func sameBound(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func bound(f *float64) string {
	if f == nil {
		return "none"
	}
	return format(*f)
}
