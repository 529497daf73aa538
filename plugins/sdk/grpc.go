package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "github.com/smecrm/crm/plugins/sdk/proto"
)

// Handshake is the go-plugin handshake of CRM plugins. The magic cookie only keeps a plugin
// executable from being run by hand by mistake; it is not a security measure.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "CRM_PLUGIN",
	MagicCookieValue: "6f1c0f7e-crm-plugin-protocol",
}

// PluginName is the name the plugin is dispensed under.
const PluginName = "crm"

// CallTokenHeader is the gRPC metadata key carrying the call token to the Host service.
const CallTokenHeader = "crm-call-token"

// Serve runs p as a plugin executable; it returns when the host ends the plugin. Call it
// from main.
func Serve(p Plugin) {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         plugin.PluginSet{PluginName: &GRPCPlugin{Impl: p}},
		GRPCServer:      plugin.DefaultGRPCServer,
		Logger:          hclog.New(&hclog.LoggerOptions{Output: os.Stderr, JSONFormat: true, Level: hclog.Info}),
	})
}

// GRPCPlugin binds the protocol to go-plugin. On the plugin's side Impl is served; on the
// host's side Host is offered to the plugin through the broker and Dispense returns a
// *Client.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl Plugin
	Host pb.HostServer
}

// GRPCServer serves Impl (plugin side).
func (p *GRPCPlugin) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterPluginServer(s, &server{impl: p.Impl, broker: broker})
	return nil
}

// GRPCClient returns the host's client of the plugin.
func (p *GRPCPlugin) GRPCClient(_ context.Context, broker *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return &Client{pb: pb.NewPluginClient(conn), broker: broker, host: p.Host}, nil
}

// server is the plugin side of the protocol.
type server struct {
	pb.UnimplementedPluginServer
	impl   Plugin
	broker *plugin.GRPCBroker

	mu   sync.RWMutex
	host pb.HostClient
}

func (s *server) Init(_ context.Context, r *pb.InitRequest) (*pb.InitResponse, error) {
	if r.GetProtocolVersion() != ProtocolVersion {
		return nil, status.Errorf(codes.FailedPrecondition, "plugin speaks protocol %d, host %d", ProtocolVersion, r.GetProtocolVersion())
	}
	conn, err := s.broker.Dial(r.GetHostBrokerId())
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "dial host: %v", err)
	}
	s.mu.Lock()
	s.host = pb.NewHostClient(conn)
	s.mu.Unlock()
	return &pb.InitResponse{}, nil
}

func (s *server) Describe(context.Context, *pb.Empty) (*pb.Manifest, error) {
	m := s.impl.Manifest()
	if m.ProtocolVersion == 0 {
		m.ProtocolVersion = ProtocolVersion
	}
	return ManifestToPB(m), nil
}

func (s *server) Ping(context.Context, *pb.Empty) (*pb.Empty, error) { return &pb.Empty{}, nil }

func (s *server) call(cc *pb.CallContext) *Call {
	s.mu.RLock()
	h := s.host
	s.mu.RUnlock()
	cfg := cc.GetConfig()
	if len(cfg) == 0 {
		cfg = []byte("{}")
	}
	c := &Call{TenantID: cc.GetTenantId(), UserID: cc.GetUserId(), Roles: cc.GetRoles(), Locale: cc.GetLocale(), Config: cfg}
	if h != nil {
		c.Host = &hostClient{c: h, token: cc.GetCallToken()}
	} else {
		c.Host = noHost{}
	}
	return c
}

func (s *server) Classify(ctx context.Context, r *pb.ClassifyRequest) (*pb.ClassifyResponse, error) {
	cl, ok := s.impl.(Classifier)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "not a classifier")
	}
	res, err := cl.Classify(ctx, s.call(r.GetCall()), ClassifyInputFromPB(r.GetInput()))
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.ClassifyResponse{Result: ClassifyResultToPB(res)}, nil
}

func (s *server) ClassifyStream(st grpc.BidiStreamingServer[pb.ClassifyBatch, pb.ClassifyBatchResult]) error {
	cl, ok := s.impl.(Classifier)
	if !ok {
		return status.Error(codes.Unimplemented, "not a classifier")
	}
	ctx := st.Context()
	for {
		b, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		call := s.call(b.GetCall())
		ins := make([]ClassifyInput, len(b.GetInputs()))
		for i, in := range b.GetInputs() {
			ins[i] = ClassifyInputFromPB(in)
		}
		var results []ClassifyResult
		if bc, ok := s.impl.(BatchClassifier); ok {
			if results, err = bc.ClassifyBatch(ctx, call, ins); err != nil {
				return toStatus(err)
			}
		} else {
			results = make([]ClassifyResult, len(ins))
			for i, in := range ins {
				if results[i], err = cl.Classify(ctx, call, in); err != nil {
					return toStatus(err)
				}
			}
		}
		out := &pb.ClassifyBatchResult{Results: make([]*pb.ClassifyResult, len(results))}
		for i, r := range results {
			out.Results[i] = ClassifyResultToPB(r)
		}
		if err := st.Send(out); err != nil {
			return err
		}
	}
}

func (s *server) OnEvent(ctx context.Context, r *pb.EventRequest) (*pb.EventResponse, error) {
	h, ok := s.impl.(EventHandler)
	if !ok {
		return &pb.EventResponse{}, nil // not interested: acknowledged
	}
	if err := h.OnEvent(ctx, s.call(r.GetCall()), EventFromPB(r.GetEvent())); err != nil {
		return nil, toStatus(err)
	}
	return &pb.EventResponse{}, nil
}

func (s *server) HandleHTTP(ctx context.Context, r *pb.HTTPRequest) (*pb.HTTPResponse, error) {
	m, ok := s.impl.(Module)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "not a module")
	}
	res, err := m.HandleHTTP(ctx, s.call(r.GetCall()), HTTPRequest{Route: r.GetRoute(), Method: r.GetMethod(), Path: r.GetPath(),
		Params: r.GetParams(), RawQuery: r.GetRawQuery(), Headers: headersFromPB(r.GetHeaders()), Body: r.GetBody()})
	if err != nil {
		return nil, toStatus(err)
	}
	if res.Status == 0 {
		res.Status = 200
	}
	return &pb.HTTPResponse{Status: int32(res.Status), Headers: headersToPB(res.Headers), Body: res.Body}, nil
}

// toStatus maps the SDK's errors to gRPC codes.
func toStatus(err error) error {
	if _, ok := status.FromError(err); ok && status.Code(err) != codes.Unknown {
		return err
	}
	switch {
	case errors.Is(err, ErrNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, ErrConflict):
		return status.Error(codes.Aborted, err.Error())
	case errors.Is(err, ErrInvalid):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	return status.Error(codes.Unknown, err.Error())
}

// fromStatus maps gRPC codes back to the SDK's errors.
func fromStatus(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	switch st.Code() {
	case codes.NotFound:
		return fmt.Errorf("%w: %s", ErrNotFound, st.Message())
	case codes.Aborted:
		return fmt.Errorf("%w: %s", ErrConflict, st.Message())
	case codes.InvalidArgument:
		return fmt.Errorf("%w: %s", ErrInvalid, st.Message())
	}
	return err
}

// hostClient is the plugin's side of the Host service for one call.
type hostClient struct {
	c     pb.HostClient
	token string
}

func (h *hostClient) ctx(ctx context.Context) context.Context {
	return metadata.AppendToOutgoingContext(ctx, CallTokenHeader, h.token)
}

func (h *hostClient) PutRecord(ctx context.Context, r Record, expected int64) (Record, error) {
	out, err := h.c.PutRecord(h.ctx(ctx), &pb.PutRecordRequest{Record: RecordToPB(r), ExpectedVersion: expected})
	if err != nil {
		return Record{}, fromStatus(err)
	}
	return RecordFromPB(out), nil
}

func (h *hostClient) GetRecord(ctx context.Context, typ, id string) (Record, error) {
	out, err := h.c.GetRecord(h.ctx(ctx), &pb.GetRecordRequest{Type: typ, Id: id})
	if err != nil {
		return Record{}, fromStatus(err)
	}
	return RecordFromPB(out), nil
}

func (h *hostClient) QueryRecords(ctx context.Context, q Query) ([]Record, string, error) {
	req := &pb.QueryRecordsRequest{Type: q.Type, Limit: int32(q.Limit), After: q.After}
	for _, c := range q.Where {
		req.Where = append(req.Where, &pb.Condition{Field: c.Field, Op: c.Op, Value: c.Value})
	}
	out, err := h.c.QueryRecords(h.ctx(ctx), req)
	if err != nil {
		return nil, "", fromStatus(err)
	}
	recs := make([]Record, len(out.GetRecords()))
	for i, r := range out.GetRecords() {
		recs[i] = RecordFromPB(r)
	}
	return recs, out.GetNext(), nil
}

func (h *hostClient) DeleteRecord(ctx context.Context, typ, id string) error {
	_, err := h.c.DeleteRecord(h.ctx(ctx), &pb.DeleteRecordRequest{Type: typ, Id: id})
	return fromStatus(err)
}

func (h *hostClient) GetCustomer(ctx context.Context, id string) (Customer, error) {
	out, err := h.c.GetCustomer(h.ctx(ctx), &pb.GetCustomerRequest{Id: id})
	if err != nil {
		return Customer{}, fromStatus(err)
	}
	return CustomerFromPB(out), nil
}

func (h *hostClient) FindCustomers(ctx context.Context, ids []string, name string, limit int) ([]Customer, error) {
	out, err := h.c.FindCustomers(h.ctx(ctx), &pb.FindCustomersRequest{Ids: ids, Name: name, Limit: int32(limit)})
	if err != nil {
		return nil, fromStatus(err)
	}
	cs := make([]Customer, len(out.GetCustomers()))
	for i, c := range out.GetCustomers() {
		cs[i] = CustomerFromPB(c)
	}
	return cs, nil
}

func (h *hostClient) CreateFollowUpTask(ctx context.Context, t FollowUpTask) (FollowUpTaskResult, error) {
	req := &pb.FollowUpTaskRequest{CustomerId: t.CustomerID, Title: t.Title, Note: t.Note, AssigneeId: t.AssigneeID, Key: t.Key}
	if t.DueAt != nil {
		req.DueAt = fmtTime(*t.DueAt)
	}
	out, err := h.c.CreateFollowUpTask(h.ctx(ctx), req)
	if err != nil {
		return FollowUpTaskResult{}, fromStatus(err)
	}
	return FollowUpTaskResult{ID: out.GetId(), StoredIn: out.GetStoredIn()}, nil
}

func (h *hostClient) Log(ctx context.Context, level, msg string, fields map[string]string) error {
	_, err := h.c.Log(h.ctx(ctx), &pb.LogRequest{Level: level, Message: msg, Fields: fields})
	return fromStatus(err)
}

// noHost answers every host call before Init with an error.
type noHost struct{}

var errNoHost = errors.New("sdk: host API not connected")

func (noHost) PutRecord(context.Context, Record, int64) (Record, error)  { return Record{}, errNoHost }
func (noHost) GetRecord(context.Context, string, string) (Record, error) { return Record{}, errNoHost }
func (noHost) QueryRecords(context.Context, Query) ([]Record, string, error) {
	return nil, "", errNoHost
}
func (noHost) DeleteRecord(context.Context, string, string) error    { return errNoHost }
func (noHost) GetCustomer(context.Context, string) (Customer, error) { return Customer{}, errNoHost }
func (noHost) FindCustomers(context.Context, []string, string, int) ([]Customer, error) {
	return nil, errNoHost
}
func (noHost) CreateFollowUpTask(context.Context, FollowUpTask) (FollowUpTaskResult, error) {
	return FollowUpTaskResult{}, errNoHost
}
func (noHost) Log(context.Context, string, string, map[string]string) error { return errNoHost }

// CallInfo is what the host says about a call (host side of Call).
type CallInfo struct {
	Token    string
	TenantID string
	UserID   string
	Roles    []string
	Locale   string
	Config   []byte
}

func (c CallInfo) pb() *pb.CallContext {
	return &pb.CallContext{CallToken: c.Token, TenantId: c.TenantID, UserId: c.UserID, Roles: c.Roles, Locale: c.Locale, Config: c.Config}
}

// Client is the host's side of a running plugin.
type Client struct {
	pb     pb.PluginClient
	broker *plugin.GRPCBroker
	host   pb.HostServer
}

// Init serves the Host service on the broker and tells the plugin where it is.
func (c *Client) Init(ctx context.Context) error {
	req := &pb.InitRequest{ProtocolVersion: ProtocolVersion}
	if c.host != nil {
		id := c.broker.NextId()
		go c.broker.AcceptAndServe(id, func(opts []grpc.ServerOption) *grpc.Server {
			s := grpc.NewServer(opts...)
			pb.RegisterHostServer(s, c.host)
			return s
		})
		req.HostBrokerId = id
	}
	_, err := c.pb.Init(ctx, req)
	return err
}

// Describe asks for the plugin's manifest.
func (c *Client) Describe(ctx context.Context) (Manifest, error) {
	m, err := c.pb.Describe(ctx, &pb.Empty{})
	if err != nil {
		return Manifest{}, err
	}
	return ManifestFromPB(m), nil
}

// Ping checks that the plugin answers.
func (c *Client) Ping(ctx context.Context) error {
	_, err := c.pb.Ping(ctx, &pb.Empty{})
	return err
}

// Classify classifies one customer.
func (c *Client) Classify(ctx context.Context, call CallInfo, in ClassifyInput) (ClassifyResult, error) {
	r, err := c.pb.Classify(ctx, &pb.ClassifyRequest{Call: call.pb(), Input: ClassifyInputToPB(in)})
	if err != nil {
		return ClassifyResult{}, err
	}
	return ClassifyResultFromPB(r.GetResult()), nil
}

// ClassifyBatch classifies customers over one stream in batches of at most batch; the
// answer has one result per input, in order, or an error.
func (c *Client) ClassifyBatch(ctx context.Context, call CallInfo, ins []ClassifyInput, batch int) ([]ClassifyResult, error) {
	if batch <= 0 {
		batch = 500
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st, err := c.pb.ClassifyStream(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ClassifyResult, 0, len(ins))
	for i := 0; i < len(ins); i += batch {
		chunk := ins[i:min(i+batch, len(ins))]
		req := &pb.ClassifyBatch{Call: call.pb(), Inputs: make([]*pb.ClassifyInput, len(chunk))}
		for j, in := range chunk {
			req.Inputs[j] = ClassifyInputToPB(in)
		}
		if err := st.Send(req); err != nil {
			return nil, err
		}
		res, err := st.Recv()
		if err != nil {
			return nil, err
		}
		if len(res.GetResults()) != len(chunk) {
			return nil, fmt.Errorf("plugin answered %d results for %d customers", len(res.GetResults()), len(chunk))
		}
		for _, r := range res.GetResults() {
			out = append(out, ClassifyResultFromPB(r))
		}
	}
	_ = st.CloseSend()
	return out, nil
}

// OnEvent delivers one event.
func (c *Client) OnEvent(ctx context.Context, call CallInfo, e Event) error {
	_, err := c.pb.OnEvent(ctx, &pb.EventRequest{Call: call.pb(), Event: EventToPB(e)})
	return err
}

// HandleHTTP passes a request to a module.
func (c *Client) HandleHTTP(ctx context.Context, call CallInfo, r HTTPRequest) (HTTPResponse, error) {
	res, err := c.pb.HandleHTTP(ctx, &pb.HTTPRequest{Call: call.pb(), Route: r.Route, Method: r.Method, Path: r.Path,
		Params: r.Params, RawQuery: r.RawQuery, Headers: headersToPB(r.Headers), Body: r.Body})
	if err != nil {
		return HTTPResponse{}, err
	}
	return HTTPResponse{Status: int(res.GetStatus()), Headers: headersFromPB(res.GetHeaders()), Body: res.GetBody()}, nil
}

// HostResolver finds the Host for a call token (host side); ok false when the token is
// unknown or its call has ended.
type HostResolver func(ctx context.Context, token string) (h Host, ok bool)

// NewHostServer serves the Host service, each request acting through the Host its call
// token resolves to. Requests without a live token fail with PermissionDenied.
func NewHostServer(resolve HostResolver) pb.HostServer { return &hostServer{resolve: resolve} }

type hostServer struct {
	pb.UnimplementedHostServer
	resolve HostResolver
}

func (s *hostServer) host(ctx context.Context) (Host, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	var tok string
	if v := md.Get(CallTokenHeader); len(v) == 1 {
		tok = v[0]
	}
	if tok == "" {
		return nil, status.Error(codes.PermissionDenied, "no call token")
	}
	h, ok := s.resolve(ctx, tok)
	if !ok {
		return nil, status.Error(codes.PermissionDenied, "call token unknown or expired")
	}
	return h, nil
}

func (s *hostServer) PutRecord(ctx context.Context, r *pb.PutRecordRequest) (*pb.Record, error) {
	h, err := s.host(ctx)
	if err != nil {
		return nil, err
	}
	out, err := h.PutRecord(ctx, RecordFromPB(r.GetRecord()), r.GetExpectedVersion())
	if err != nil {
		return nil, toStatus(err)
	}
	return RecordToPB(out), nil
}

func (s *hostServer) GetRecord(ctx context.Context, r *pb.GetRecordRequest) (*pb.Record, error) {
	h, err := s.host(ctx)
	if err != nil {
		return nil, err
	}
	out, err := h.GetRecord(ctx, r.GetType(), r.GetId())
	if err != nil {
		return nil, toStatus(err)
	}
	return RecordToPB(out), nil
}

func (s *hostServer) QueryRecords(ctx context.Context, r *pb.QueryRecordsRequest) (*pb.QueryRecordsResponse, error) {
	h, err := s.host(ctx)
	if err != nil {
		return nil, err
	}
	q := Query{Type: r.GetType(), Limit: int(r.GetLimit()), After: r.GetAfter()}
	for _, c := range r.GetWhere() {
		q.Where = append(q.Where, Condition{Field: c.GetField(), Op: c.GetOp(), Value: c.GetValue()})
	}
	recs, next, err := h.QueryRecords(ctx, q)
	if err != nil {
		return nil, toStatus(err)
	}
	out := &pb.QueryRecordsResponse{Next: next, Records: make([]*pb.Record, len(recs))}
	for i, x := range recs {
		out.Records[i] = RecordToPB(x)
	}
	return out, nil
}

func (s *hostServer) DeleteRecord(ctx context.Context, r *pb.DeleteRecordRequest) (*pb.Empty, error) {
	h, err := s.host(ctx)
	if err != nil {
		return nil, err
	}
	if err := h.DeleteRecord(ctx, r.GetType(), r.GetId()); err != nil {
		return nil, toStatus(err)
	}
	return &pb.Empty{}, nil
}

func (s *hostServer) GetCustomer(ctx context.Context, r *pb.GetCustomerRequest) (*pb.Customer, error) {
	h, err := s.host(ctx)
	if err != nil {
		return nil, err
	}
	c, err := h.GetCustomer(ctx, r.GetId())
	if err != nil {
		return nil, toStatus(err)
	}
	return CustomerToPB(c), nil
}

func (s *hostServer) FindCustomers(ctx context.Context, r *pb.FindCustomersRequest) (*pb.FindCustomersResponse, error) {
	h, err := s.host(ctx)
	if err != nil {
		return nil, err
	}
	cs, err := h.FindCustomers(ctx, r.GetIds(), r.GetName(), int(r.GetLimit()))
	if err != nil {
		return nil, toStatus(err)
	}
	out := &pb.FindCustomersResponse{Customers: make([]*pb.Customer, len(cs))}
	for i, c := range cs {
		out.Customers[i] = CustomerToPB(c)
	}
	return out, nil
}

func (s *hostServer) CreateFollowUpTask(ctx context.Context, r *pb.FollowUpTaskRequest) (*pb.FollowUpTaskResponse, error) {
	h, err := s.host(ctx)
	if err != nil {
		return nil, err
	}
	t := FollowUpTask{CustomerID: r.GetCustomerId(), Title: r.GetTitle(), Note: r.GetNote(), AssigneeID: r.GetAssigneeId(), Key: r.GetKey()}
	if r.GetDueAt() != "" {
		d := parseTime(r.GetDueAt())
		t.DueAt = &d
	}
	out, err := h.CreateFollowUpTask(ctx, t)
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.FollowUpTaskResponse{Id: out.ID, StoredIn: out.StoredIn}, nil
}

func (s *hostServer) Log(ctx context.Context, r *pb.LogRequest) (*pb.Empty, error) {
	h, err := s.host(ctx)
	if err != nil {
		return nil, err
	}
	if err := h.Log(ctx, r.GetLevel(), r.GetMessage(), r.GetFields()); err != nil {
		return nil, toStatus(err)
	}
	return &pb.Empty{}, nil
}

// DefaultCallTimeout is a sensible deadline for one call in tests and tools.
const DefaultCallTimeout = 5 * time.Second
