package gateway

import (
	"context"
	"errors"
	"slices"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/gentre/gentre/engine/query"
	"github.com/gentre/gentre/pseudonymise"
	"github.com/gentre/gentre/trusted-research/access"
	gentrev1 "github.com/gentre/gentre/trusted-research/api/gentre/v1"
)

const routeMeUses = "GET /v1/me/uses"

// ListMyUses tells a citizen which released answers included them: the
// industry answers whose released person sets contain them (disclosure
// control's records) and the approved airlock releases whose figures did
// (the airlock's records), each with its time, project, the project's
// purpose, the action and the data release, oldest first. The citizen is
// the token's person pseudonym, looked up in the current data release; a
// person not in the store, or who opted out, has no uses. Nothing about
// other people is in the answer: no query, no size.
func (g *Gateway) ListMyUses(ctx context.Context, req *gentrev1.ListMyUsesRequest) (*gentrev1.ListMyUsesResponse, error) {
	return run(ctx, g, access.ActionMeUses, "", routeMeUses, func(c *call) (*gentrev1.ListMyUsesResponse, error) {
		if c.p.Person == (pseudonymise.Pseudonym{}) {
			// Citizen tokens are always bound to a person (access.TokenSpec).
			return nil, status.Error(codes.PermissionDenied, "forbidden: the token is not bound to a person")
		}
		var person uint32
		var found bool
		err := g.withRelease(ctx, c, func(_ *release, e *query.Engine) error {
			var err error
			person, found, err = e.PersonIndex(c.p.Person.String())
			return err
		})
		if err != nil {
			return nil, err
		}
		resp := &gentrev1.ListMyUsesResponse{Uses: []*gentrev1.MyUse{}}
		if !found {
			return resp, nil
		}
		type use struct {
			time                     time.Time
			project, action, release string
		}
		var uses []use
		dis, err := g.dis.UsesOf(person)
		if err != nil {
			return nil, err
		}
		for _, u := range dis {
			uses = append(uses, use{u.Time, u.Project, u.Action, u.Release})
		}
		air, err := g.air.UsesOf(person)
		if err != nil {
			return nil, err
		}
		for _, u := range air {
			uses = append(uses, use{u.Time, u.Project, actionAirlockRelease, u.Release})
		}
		slices.SortStableFunc(uses, func(a, b use) int { return a.time.Compare(b.time) })
		purposes := map[string]string{}
		for _, u := range uses {
			purpose, ok := purposes[u.project]
			if !ok {
				p, err := g.acc.Project(u.project)
				switch {
				case err == nil:
					purpose = string(p.Purpose)
				case !errors.Is(err, access.ErrNotFound):
					return nil, err
				}
				purposes[u.project] = purpose
			}
			resp.Uses = append(resp.Uses, &gentrev1.MyUse{
				Time: timestamppb.New(u.time), Project: u.project, Purpose: purpose, Action: u.action, Release: u.release,
			})
		}
		return resp, nil
	})
}
