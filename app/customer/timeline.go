package customer

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
)

// TimelineItem is one thing that happened to a customer (CUS-11): a change to the record or
// one of its contacts, and, from later modules, follow-ups, opportunities, orders, work
// orders, complaints, surveys and care events.
type TimelineItem struct {
	// ID identifies the item within its kind (an audit entry's ID, a follow-up's ID, …); with
	// At it orders the timeline and its cursor.
	ID string    `json:"id"`
	At time.Time `json:"at"`
	// Kind is what the item is: "change" (the customer record), "contact", "follow_up", …
	Kind string `json:"kind"`
	// Action is what happened: create, update, delete, merge, …
	Action  string     `json:"action"`
	ActorID *uuid.UUID `json:"actor_id"`
	// Summary is one line in the user's language.
	Summary string `json:"summary"`
	// Changes maps each changed field to [before, after] (sensitive values masked).
	Changes map[string][2]any `json:"changes"`
	// Entity and EntityID name the record the item is about, for a link.
	Entity   string `json:"entity"`
	EntityID string `json:"entity_id"`
}

// TimelineSource lists a later module's items about a customer: those at or before before
// (inclusive), newest first (by At, then ID descending), at most limit. It runs in the
// timeline's read transaction, with the tenant and actor in ctx.
type TimelineSource func(ctx context.Context, tx *gorm.DB, customerID uuid.UUID, before time.Time, limit int) ([]TimelineItem, error)

// TimelineQuery is GET /customers/{id}/timeline.
type TimelineQuery struct {
	byID
	api.ListParams
}

type timelineCursor struct {
	At time.Time `json:"at"`
	ID string    `json:"id"`
}

// newer reports whether a comes before b on the timeline (newest first).
func newer(a, b TimelineItem) bool {
	if !a.At.Equal(b.At) {
		return a.At.After(b.At)
	}
	return a.ID > b.ID
}

// Timeline lists what happened to a visible customer, newest first, cursor-paged: the audit
// history of the customer and of its contacts, and every registered source's items.
//
// Each source gives at least limit+1 items not shown yet (or all it has); the sources' lists
// are merged, and the page stops where a source that had more might have older items still
// unseen, so nothing is skipped between pages (a page can then be shorter than limit, with a
// next cursor).
func (s *Service) Timeline(ctx context.Context, customerID uuid.UUID, p api.ListParams) (api.Page[TimelineItem], error) {
	limit := p.PageSize()
	var cur *timelineCursor
	if p.Cursor != "" {
		c, err := decodeTimelineCursor(p.Cursor)
		if err != nil {
			return api.Page[TimelineItem]{}, err
		}
		cur = &c
	}
	before := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	if cur != nil {
		before = cur.At
	}
	out := api.Page[TimelineItem]{Items: []TimelineItem{}}
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		if _, err := s.load(ctx, tx, customerID, false); err != nil {
			return err
		}
		sources := append([]TimelineSource{s.auditTimeline}, s.TimelineSources...)
		var all []TimelineItem
		var horizon *TimelineItem // the newest "oldest item" of the sources that had more
		for _, src := range sources {
			fresh, oldest, err := s.fetchTimeline(ctx, tx, src, customerID, before, cur, limit)
			if err != nil {
				return err
			}
			if oldest != nil && (horizon == nil || newer(*oldest, *horizon)) {
				horizon = oldest
			}
			all = append(all, fresh...)
		}
		sort.SliceStable(all, func(i, j int) bool { return newer(all[i], all[j]) })
		more := horizon != nil
		if horizon != nil {
			n := 0
			for n < len(all) && !newer(*horizon, all[n]) {
				n++
			}
			all = all[:n]
		}
		if len(all) > limit {
			all, more = all[:limit], true
		}
		for i := range all {
			if all[i].Changes == nil {
				all[i].Changes = map[string][2]any{}
			}
		}
		out.Items = append(out.Items, all...)
		if more && len(all) > 0 {
			last := all[len(all)-1]
			c := encodeTimelineCursor(timelineCursor{At: last.At, ID: last.ID})
			out.NextCursor = &c
		}
		return nil
	})
	return out, err
}

// fetchTimeline asks src for items at or before the cursor until it has more than limit that
// the previous pages did not show, or src has no more. Items at the cursor's very instant are
// asked for again (before is inclusive), so the request grows while ties fill it. It returns
// the fresh items and, when src may hold older ones, the oldest item it returned.
func (s *Service) fetchTimeline(ctx context.Context, tx *gorm.DB, src TimelineSource, customerID uuid.UUID, before time.Time,
	cur *timelineCursor, limit int) (fresh []TimelineItem, oldest *TimelineItem, err error) {
	for n := limit + 1; ; n *= 2 {
		items, err := src(ctx, tx, customerID, before, n)
		if err != nil {
			return nil, nil, err
		}
		fresh = fresh[:0]
		for _, it := range items {
			if cur == nil || newer(cur.item(), it) {
				fresh = append(fresh, it)
			}
		}
		if len(items) < n {
			return fresh, nil, nil
		}
		if len(fresh) > limit || n >= maxTimelineFetch {
			o := items[0]
			for _, it := range items {
				if newer(o, it) {
					o = it
				}
			}
			return fresh, &o, nil
		}
	}
}

// maxTimelineFetch bounds how many items one source is asked for while skipping ties.
const maxTimelineFetch = 10000

// item is the cursor's position as an item, for comparisons.
func (c timelineCursor) item() TimelineItem { return TimelineItem{At: c.At, ID: c.ID} }

func encodeTimelineCursor(c timelineCursor) string { return api.EncodeCursor(c) }

func decodeTimelineCursor(s string) (timelineCursor, error) {
	return api.DecodeCursor(s, func(c timelineCursor) bool { return !c.At.IsZero() && c.ID != "" })
}

// auditTimeline is the built-in source: audit entries of the customer (kind "change") and of
// its contacts, deleted ones and those moved in by a merge included (kind "contact").
func (s *Service) auditTimeline(ctx context.Context, tx *gorm.DB, customerID uuid.UUID, before time.Time, limit int) ([]TimelineItem, error) {
	var contacts []Contact
	if err := tx.Select("id", "name").Where("customer_id = ?", customerID).Find(&contacts).Error; err != nil {
		return nil, err
	}
	names := make(map[string]string, len(contacts))
	ids := make([]string, 0, len(contacts))
	for _, ct := range contacts {
		names[ct.ID.String()] = ct.Name
		ids = append(ids, ct.ID.String())
	}
	q := tx.Where("entity = ? AND entity_id = ?", "customer", customerID.String())
	if len(ids) > 0 {
		q = q.Or("entity = ? AND entity_id IN ?", "contact", ids)
	}
	var entries []audit.Entry
	// A follow-up's changes to the customer show as the follow-up module's own item.
	if err := tx.Where(q).Where("action <> ?", "follow_up").Where("at <= ?", before).Order("at DESC").Order("id DESC").Limit(limit).Find(&entries).Error; err != nil {
		return nil, err
	}
	locale := tenantctx.Locale(ctx)
	out := make([]TimelineItem, 0, len(entries))
	for _, e := range entries {
		it := TimelineItem{ID: e.ID.String(), At: e.At.UTC(), Action: e.Action, ActorID: e.ActorID,
			Changes: e.Changes.Data(), Entity: e.Entity, EntityID: e.EntityID}
		if e.Entity == "contact" {
			it.Kind = "contact"
			it.Summary = contactSummary(locale, e.Action, names[e.EntityID], it.Changes)
		} else {
			it.Kind = "change"
			it.Summary = customerSummary(locale, e.Action, it.Changes)
		}
		out = append(out, it)
	}
	return out, nil
}

// changedFields lists the changed fields' names, sorted, for a summary line.
func changedFields(ch map[string][2]any) string {
	keys := make([]string, 0, len(ch))
	for k := range ch {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

// customerSummary is the line for a customer audit entry. Another action gets its own line by
// adding a message "timeline.customer.<action>" without verbs; otherwise the action is named.
func customerSummary(locale, action string, ch map[string][2]any) string {
	key := "timeline.customer." + action
	switch {
	case action == "update":
		return problem.Message(locale, key, changedFields(ch))
	case action == "merge":
		if name, ok := ch["merged_from_name"][1].(string); ok {
			return problem.Message(locale, key, name)
		}
	case action != "other" && problem.HasMessage(key):
		return problem.Message(locale, key)
	}
	return problem.Message(locale, "timeline.customer.other", action)
}

// contactSummary is the line for a contact audit entry; a message "timeline.contact.<action>"
// takes the contact's name as its one verb.
func contactSummary(locale, action, name string, ch map[string][2]any) string {
	key := "timeline.contact." + action
	switch {
	case action == "update":
		return problem.Message(locale, key, name, changedFields(ch))
	case action != "other" && problem.HasMessage(key):
		return problem.Message(locale, key, name)
	}
	return problem.Message(locale, "timeline.contact.other", name, action)
}

func (a API) timelineRoutes(r *api.Router) {
	api.Handle(r, api.Op{Method: "GET", Path: "/customers/:id/timeline", ID: "customerTimeline", Summary: "Everything that happened to a customer, newest first", Tag: "customers", Perm: perm("read")},
		func(c *fiber.Ctx, in *TimelineQuery) (*api.Page[TimelineItem], error) {
			p, err := a.S.Timeline(c.UserContext(), in.ID, in.ListParams)
			return &p, err
		})
}
