package notify

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/wneessen/go-mail"
)

// Mail is one plain-text message to one recipient.
type Mail struct {
	To      string
	Subject string
	Text    string
}

// Mailer sends mail.
type Mailer interface {
	Send(ctx context.Context, m Mail) error
}

// NewMailer returns the mailer for CRM_SMTP_URL: smtp://user:pass@host:port (STARTTLS when the
// server offers it, plain otherwise; port 587 by default) or smtps://… (TLS from the start,
// port 465 by default). Empty rawURL gives a mailer that only logs what it would send.
func NewMailer(rawURL, from string, log *slog.Logger) (Mailer, error) {
	if strings.TrimSpace(rawURL) == "" {
		return LogMailer{Log: log}, nil
	}
	u, err := url.Parse(rawURL)
	if err != nil || u.Hostname() == "" {
		return nil, fmt.Errorf("notify: CRM_SMTP_URL: want smtp://user:pass@host:port")
	}
	m := &SMTPMailer{Host: u.Hostname(), From: from}
	switch u.Scheme {
	case "smtp":
		m.Port = 587
	case "smtps":
		m.Port, m.ImplicitTLS = 465, true
	default:
		return nil, fmt.Errorf("notify: CRM_SMTP_URL: scheme %q, want smtp or smtps", u.Scheme)
	}
	if p := u.Port(); p != "" {
		if m.Port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("notify: CRM_SMTP_URL: port %q", p)
		}
	}
	if u.User != nil {
		m.Username = u.User.Username()
		m.Password, _ = u.User.Password()
	}
	return m, nil
}

// LogMailer logs mail instead of sending it (no SMTP server configured).
type LogMailer struct{ Log *slog.Logger }

// Send logs m's recipient and subject.
func (l LogMailer) Send(_ context.Context, m Mail) error {
	if l.Log != nil {
		l.Log.Info("mail not sent (CRM_SMTP_URL unset)", "to", m.To, "subject", m.Subject)
	}
	return nil
}

// SMTPMailer sends through an SMTP server with go-mail.
type SMTPMailer struct {
	Host        string
	Port        int
	Username    string
	Password    string
	ImplicitTLS bool
	From        string
}

// Send delivers m, one connection per message (reminders are few and spread out).
func (s *SMTPMailer) Send(ctx context.Context, m Mail) error {
	msg := mail.NewMsg()
	if err := msg.From(s.From); err != nil {
		return fmt.Errorf("notify: sender %q: %w", s.From, err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("notify: recipient: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	opts := []mail.Option{mail.WithPort(s.Port)}
	if s.ImplicitTLS {
		opts = append(opts, mail.WithSSL())
	} else {
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	}
	if s.Username != "" {
		// The strongest mechanism both sides support; on an unencrypted connection that
		// excludes PLAIN and LOGIN, except to a relay on this machine (loopback), where
		// nothing crosses the network.
		auth := mail.SMTPAuthAutoDiscover
		if !s.ImplicitTLS && isLoopback(s.Host) {
			auth = mail.SMTPAuthPlain
		}
		opts = append(opts, mail.WithSMTPAuth(auth), mail.WithUsername(s.Username), mail.WithPassword(s.Password))
	}
	c, err := mail.NewClient(s.Host, opts...)
	if err != nil {
		return fmt.Errorf("notify: smtp client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("notify: send to %s: %w", s.Host, err)
	}
	return nil
}

// isLoopback reports whether host names this machine.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
