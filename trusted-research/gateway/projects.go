package gateway

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/gentre/gentre/trusted-research/access"
	gentrev1 "github.com/gentre/gentre/trusted-research/api/gentre/v1"
)

// ListProjects lists the projects a token may see: all of them for the
// store-wide roles, its own for project-bound roles. An industry partner
// also sees their privacy budget on the current data release.
func (g *Gateway) ListProjects(ctx context.Context, req *gentrev1.ListProjectsRequest) (*gentrev1.ListProjectsResponse, error) {
	return run(ctx, g, access.ActionProjectsList, "", "GET /v1/projects", func(c *call) (*gentrev1.ListProjectsResponse, error) {
		rel, err := g.current()
		if err != nil {
			return nil, err
		}
		c.release = rel.id
		var projects []access.Project
		if c.p.Role.NeedsProject() {
			p, err := g.acc.Project(c.p.Project)
			if err != nil {
				return nil, err
			}
			projects = []access.Project{p}
		} else if projects, err = g.acc.ListProjects(); err != nil {
			return nil, err
		}
		resp := &gentrev1.ListProjectsResponse{Release: rel.name}
		for _, p := range projects {
			out := &gentrev1.Project{
				Name: p.Name, Purpose: string(p.Purpose),
				Created: timestamppb.New(p.Created), End: timestamppb.New(p.End),
			}
			if c.p.Role == access.Industry {
				if err := g.syncSettings(p.Name); err != nil {
					return nil, err
				}
				set, err := g.dis.Settings(p.Name)
				if err != nil {
					return nil, err
				}
				spent, budget, err := g.dis.Ledger(c.p.User, p.Name, rel.name)
				if err != nil {
					return nil, err
				}
				out.Disclosure = &gentrev1.DisclosureInfo{Epsilon: set.Epsilon, Spent: spent, Budget: budget}
			}
			resp.Projects = append(resp.Projects, out)
		}
		return resp, nil
	})
}
