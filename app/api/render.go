package api

import (
	"errors"
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
)

// ProblemBody is the RFC 9457 body of every error answer.
type ProblemBody struct {
	Type   string               `json:"type"`
	Title  string               `json:"title"`
	Status int                  `json:"status"`
	Code   problem.Code         `json:"code"`
	Detail string               `json:"detail"`
	Errors []problem.FieldError `json:"errors,omitempty"`
	// Data carries extra detail for some codes (e.g. possible duplicates on a conflict).
	Data any `json:"data,omitempty"`
	// RequestID correlates the answer with the server's log.
	RequestID string `json:"request_id,omitempty"`
}

// fiberCodes maps the errors Fiber itself raises (routing, body limits) to problem codes.
var fiberCodes = map[int]*problem.Error{
	fiber.StatusNotFound:              problem.New(problem.NotFound, "route_not_found"),
	fiber.StatusMethodNotAllowed:      {Code: problem.NotFound, Key: "method_not_allowed"},
	fiber.StatusRequestEntityTooLarge: problem.New(problem.TooLarge, "too_large"),
	fiber.StatusUnsupportedMediaType:  problem.New(problem.Unsupported, "unsupported_media"),
	fiber.StatusTooManyRequests:       problem.New(problem.RateLimited, "rate_limited"),
	fiber.StatusBadRequest:            problem.New(problem.BadRequest, "bad_json"),
}

// ErrorHandler is Fiber's error handler: the one place errors become HTTP answers. Internal
// errors are logged with their cause; users see a localized message and the request ID.
func ErrorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		var pe *problem.Error
		var fe *fiber.Error
		switch {
		case errors.As(err, &pe):
		case errors.As(err, &fe):
			if m, ok := fiberCodes[fe.Code]; ok {
				pe = m
			} else {
				pe = problem.Wrap(err, "internal")
			}
		default:
			pe = problem.Wrap(err, "internal")
		}
		rid, _ := c.Locals("requestid").(string)
		if pe.Code == problem.Internal || pe.Code == problem.Unavailable {
			log.ErrorContext(c.UserContext(), "request failed", "err", err, "method", c.Method(), "path", c.Path(), "request_id", rid)
		}
		locale := tenantctx.Locale(c.UserContext())
		body := ProblemBody{
			Type:      "urn:problem:" + string(pe.Code),
			Title:     problem.Message(locale, "title."+string(pe.Code)),
			Status:    pe.Code.Status(),
			Code:      pe.Code,
			Detail:    problem.Message(locale, pe.Key, pe.Args...),
			RequestID: rid,
			Data:      pe.Data,
		}
		for _, f := range pe.Fields {
			f.Message = problem.Message(locale, f.Key, f.Args...)
			body.Errors = append(body.Errors, f)
		}
		c.Set(fiber.HeaderContentType, "application/problem+json")
		c.Status(body.Status)
		b, jerr := c.App().Config().JSONEncoder(body)
		if jerr != nil {
			return c.SendStatus(fiber.StatusInternalServerError)
		}
		return c.Send(b)
	}
}
