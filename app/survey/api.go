package survey

import (
	"github.com/gofiber/fiber/v2"

	"github.com/smecrm/crm/app/api"
)

// API serves /surveys, the service report /reports/service and the public survey pages
// under /public/v1.
type API struct{ S *Service }

type tokenInput struct {
	Token string `path:"token" json:"-"`
}

type publicAnswerInput struct {
	Token string `path:"token" json:"-"`
	Answer
}

func perm(act string) api.Perm { return api.Perm{Object: "survey", Action: act} }

// Routes registers the endpoints. Access: reading surveys and the report needs survey:read
// (within the data scope: technicians their own), recording one survey:create.
func (a API) Routes(r *api.Router) {
	s := a.S
	tag := "service"
	api.Handle(r, api.Op{Method: "GET", Path: "/surveys", ID: "listSurveys", Summary: "List opinion surveys", Tag: tag, Perm: perm("read")},
		api.Call(s.List))
	api.Handle(r, api.Op{Method: "POST", Path: "/surveys", ID: "recordSurvey", Summary: "Record a survey answered on the phone", Tag: tag, Status: 201, Perm: perm("create")},
		api.Call(s.Record))
	api.Handle(r, api.Op{Method: "GET", Path: "/surveys/:id", ID: "getSurvey", Summary: "Get an opinion survey", Tag: tag, Perm: perm("read")},
		api.CallByID(s.Get))
	api.Handle(r, api.Op{Method: "GET", Path: "/reports/service", ID: "serviceReport", Summary: "Survey results per technician and month", Tag: "reports", Perm: perm("read")},
		api.Call(s.ServiceReport))
}

// PublicRoutes registers the survey pages a customer opens from the mailed link, without an
// account, under /public/v1 (rate-limited by the server).
func (a API) PublicRoutes(r *api.Router) {
	s := a.S
	api.Handle(r, api.Op{Method: "GET", Path: "/surveys/:token", ID: "openSurvey", Summary: "What a survey link asks to rate", Tag: "public", Access: api.Public},
		func(c *fiber.Ctx, in *tokenInput) (*PublicSurvey, error) {
			out, err := s.Open(c.UserContext(), in.Token)
			return &out, err
		})
	api.Handle(r, api.Op{Method: "POST", Path: "/surveys/:token", ID: "answerSurvey", Summary: "Answer a survey through its link (once)", Tag: "public", Access: api.Public},
		func(c *fiber.Ctx, in *publicAnswerInput) (*PublicAnswered, error) {
			out, err := s.Submit(c.UserContext(), in.Token, in.Answer)
			return &out, err
		})
}
