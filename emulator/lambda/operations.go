package lambda

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ecprov/ecprov/emulator/server"
)

// SigningName implements server.Service.
func (*Service) SigningName() string { return "lambda" }

// Operation implements server.Service.
func (*Service) Operation(r *http.Request, _ []byte) string {
	op, _ := route(r)
	return op
}

// WriteError implements server.Service.
func (*Service) WriteError(w http.ResponseWriter, _ *http.Request, status int, code, message string) {
	writeAPIError(w, &apiError{Status: status, Code: code, Message: message})
}

// ServeHTTP implements http.Handler.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, name := route(r)
	var err error
	switch op {
	case "Invoke":
		err = s.handleInvoke(w, r, name)
	case "GetFunction":
		err = s.handleGetFunction(w, name)
	case "GetFunctionConfiguration":
		err = s.handleGetFunctionConfiguration(w, name)
	case "ListFunctions":
		err = s.handleListFunctions(w, r)
	case "CreateFunction":
		err = s.handleCreateFunction(w, r)
	case "DeleteFunction":
		err = s.handleDeleteFunction(w, name)
	default:
		err = &apiError{Status: http.StatusBadRequest, Code: "UnknownOperationException",
			Message: fmt.Sprintf("ecprov emulator: Lambda does not serve %s %s; it serves Invoke, GetFunction, GetFunctionConfiguration, ListFunctions, CreateFunction and DeleteFunction", r.Method, r.URL.Path)}
	}
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			ae = serviceError(err.Error())
		}
		writeAPIError(w, ae)
	}
}

// lookup finds the function a FunctionName (and Qualifier) names. Only
// $LATEST exists here.
func (s *Service) lookup(name, qualifier string) (*function, error) {
	if q := qualifierOf(name); q != "" {
		qualifier = q
	}
	f, ok := s.function(name)
	if !ok || (qualifier != "" && qualifier != "$LATEST") {
		arn := s.functionARN(functionName(name))
		if qualifier != "" {
			arn += ":" + qualifier
		}
		return nil, s.notFound(arn)
	}
	return f, nil
}

func (s *Service) handleInvoke(w http.ResponseWriter, r *http.Request, name string) error {
	f, err := s.lookup(name, r.URL.Query().Get("Qualifier"))
	if err != nil {
		return err
	}
	payload, err := io.ReadAll(io.LimitReader(r.Body, maxPayload+1))
	if err != nil {
		return &apiError{Status: http.StatusBadRequest, Code: "InvalidRequestContentException", Message: err.Error()}
	}
	if len(payload) > maxPayload {
		return &apiError{Status: http.StatusRequestEntityTooLarge, Code: "RequestTooLargeException",
			Message: fmt.Sprintf("Request must be smaller than %d bytes for the InvokeFunction operation", maxPayload)}
	}
	if len(bytes.TrimSpace(payload)) > 0 && !json.Valid(payload) {
		return &apiError{Status: http.StatusBadRequest, Code: "InvalidRequestContentException",
			Message: "Could not parse request body into json: the payload is not valid JSON"}
	}
	requestID := server.RequestID(r.Context())
	if requestID == "" {
		requestID = newRequestID()
	}
	w.Header().Set("X-Amz-Executed-Version", "$LATEST")

	switch t := r.Header.Get("X-Amz-Invocation-Type"); t {
	case "", "RequestResponse":
	case "Event":
		s.invokeAsync(f, requestID, payload)
		w.WriteHeader(http.StatusAccepted)
		return nil
	case "DryRun":
		w.WriteHeader(http.StatusNoContent)
		return nil
	default:
		return invalidParameter(fmt.Sprintf("X-Amz-Invocation-Type %q: use RequestResponse, Event or DryRun", t))
	}

	// The router's write deadline (server.DefaultWriteTimeout) is shorter
	// than a long function's timeout (up to 900 s); the answer is due by the
	// function's own time-out, plus the start of a cold instance.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(f.cfg.Timeout + 30*time.Second))
	result, functionError, err := s.invoke(r.Context(), f, requestID, payload, r.Header.Get("X-Amz-Client-Context"))
	switch {
	case errors.Is(err, errClosed):
		return &apiError{Status: http.StatusServiceUnavailable, Code: "ServiceException", Message: "the emulator is shutting down"}
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		return nil // the client went away
	case err != nil:
		return serviceError(err.Error())
	}
	w.Header().Set("Content-Type", "application/json")
	if functionError != "" {
		w.Header().Set("X-Amz-Function-Error", functionError)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(result)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(result)
	return nil
}

func (s *Service) configuration(f *function) functionConfiguration {
	c := functionConfiguration{
		FunctionName:     f.cfg.Name,
		FunctionArn:      f.arn,
		Runtime:          "provided.al2023",
		Role:             f.role,
		Handler:          "bootstrap",
		CodeSize:         f.codeSize,
		Description:      f.cfg.Description,
		Timeout:          int(f.cfg.Timeout / time.Second),
		MemorySize:       f.cfg.MemoryMB,
		LastModified:     f.modified.Format("2006-01-02T15:04:05.000-0700"),
		CodeSha256:       f.codeSHA256,
		Version:          "$LATEST",
		State:            "Active",
		LastUpdateStatus: "Successful",
		PackageType:      "Zip",
		Architectures:    []string{architecture()},
		EphemeralStorage: ephemeralStorage{Size: 512},
	}
	// Only the function's own variables: Options.Env holds credentials.
	if len(f.cfg.Env) > 0 {
		c.Environment = &environmentResponse{Variables: f.cfg.Env}
	}
	return c
}

func (s *Service) handleGetFunction(w http.ResponseWriter, name string) error {
	f, err := s.lookup(name, "")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, getFunctionOutput{
		Configuration: s.configuration(f),
		Code:          functionCodeLocation{RepositoryType: "S3", Location: "file://" + f.cfg.BootstrapPath},
		Tags:          f.tags,
	})
	return nil
}

func (s *Service) handleGetFunctionConfiguration(w http.ResponseWriter, name string) error {
	f, err := s.lookup(name, "")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.configuration(f))
	return nil
}

func (s *Service) handleListFunctions(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	maxItems := 50
	if v := q.Get("MaxItems"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return invalidParameter("MaxItems must be between 1 and 10000")
		}
		maxItems = n
	}
	names := s.FunctionNames()
	start := 0
	if m := q.Get("Marker"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 || n > len(names) {
			return invalidParameter("Marker is not one this service returned")
		}
		start = n
	}
	out := listFunctionsOutput{Functions: []functionConfiguration{}}
	for i := start; i < len(names); i++ {
		if len(out.Functions) == maxItems {
			out.NextMarker = strconv.Itoa(i)
			break
		}
		if f, ok := s.function(names[i]); ok {
			out.Functions = append(out.Functions, s.configuration(f))
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleCreateFunction accepts a zip with a bootstrap for this machine, as
// `aws lambda create-function --runtime provided.al2023 --zip-file ...`
// sends it. Unlike the Go API, it refuses to replace a function, as Lambda
// does.
func (s *Service) handleCreateFunction(w http.ResponseWriter, r *http.Request) error {
	var in createFunctionInput
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		return invalidParameter("Could not parse request body: " + err.Error())
	}
	if !functionNameRE.MatchString(in.FunctionName) {
		return invalidParameter(fmt.Sprintf("FunctionName %q: 1-64 letters, digits, hyphens and underscores", in.FunctionName))
	}
	if in.PackageType == "Image" || in.Code.ImageURI != "" {
		return invalidParameter("ecprov emulator: container images are not supported; use a zip with a bootstrap (provided.al2023)")
	}
	if in.Runtime != "" && !strings.HasPrefix(in.Runtime, "provided") {
		return invalidParameter(fmt.Sprintf("ecprov emulator: runtime %q is not supported; functions are bootstraps on an OS-only runtime (provided.al2023)", in.Runtime))
	}
	if len(in.Code.ZipFile) == 0 {
		return invalidParameter("ecprov emulator: Code.ZipFile is required (S3 code locations are not supported)")
	}
	if _, exists := s.function(in.FunctionName); exists {
		return &apiError{Status: http.StatusConflict, Code: "ResourceConflictException", Message: "Function already exist: " + in.FunctionName}
	}
	dir := filepath.Join(s.codeRoot(), in.FunctionName, newRequestID())
	created := false
	defer func() {
		if !created {
			_ = os.RemoveAll(dir)
			_ = os.Remove(filepath.Dir(dir))
		}
	}()
	if err := unzip(in.Code.ZipFile, dir, maxUnzippedCode); err != nil {
		var ae *apiError
		if errors.As(err, &ae) {
			return ae
		}
		return invalidParameter("Could not unzip uploaded file: " + err.Error())
	}
	bootstrap := filepath.Join(dir, "bootstrap")
	if _, err := os.Stat(bootstrap); err != nil {
		return invalidParameter("the zip has no bootstrap at its root; an OS-only runtime needs one")
	}
	_ = os.Chmod(bootstrap, 0o755)
	fn := Function{
		Name:          in.FunctionName,
		BootstrapPath: bootstrap,
		Env:           in.Environment.Variables,
		Timeout:       time.Duration(in.Timeout) * time.Second,
		MemoryMB:      in.MemorySize,
		Description:   in.Description,
	}
	f, err := s.newFunction(fn)
	if err != nil {
		return invalidParameter(err.Error())
	}
	if in.Role != "" {
		f.role = in.Role
	}
	f.tags = in.Tags
	f.codeDir = dir
	s.mu.Lock()
	if _, exists := s.functions[f.cfg.Name]; exists {
		s.mu.Unlock()
		return &apiError{Status: http.StatusConflict, Code: "ResourceConflictException", Message: "Function already exist: " + in.FunctionName}
	}
	s.functions[f.cfg.Name] = f
	created = true
	s.mu.Unlock()
	s.log.Info("function created", "function", f.cfg.Name, "bootstrap", f.cfg.BootstrapPath)
	writeJSON(w, http.StatusCreated, s.configuration(f))
	return nil
}

func (s *Service) handleDeleteFunction(w http.ResponseWriter, name string) error {
	if _, err := s.lookup(name, ""); err != nil {
		return err
	}
	if err := s.DeleteFunction(name); errors.Is(err, ErrNotFound) {
		return s.notFound(s.functionARN(functionName(name)))
	} else if err != nil {
		return serviceError(err.Error())
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// maxUnzippedCode is Lambda's quota on a function's unzipped deployment
// package, code and layers together: 250 MB ("Lambda quotas" page,
// "Deployment package (.zip file archive) size": 250 MB unzipped). Lambda
// refuses more with InvalidParameterValueException (in the botocore model,
// one of CreateFunction's errors) "Unzipped size must be smaller than
// 262144000 bytes", the message users quote (serverless/serverless#6792,
// Miserlou/Zappa#612).
const maxUnzippedCode = 250 << 20

func codeTooLarge() *apiError {
	return invalidParameter(fmt.Sprintf("Unzipped size must be smaller than %d bytes", maxUnzippedCode))
}

// unzip extracts a function's code, refusing paths that leave dir and code
// over limit bytes in total. The sizes the zip declares are checked first,
// then every byte written is counted, since a crafted zip can lie: nothing
// past the limit is ever written.
func unzip(data []byte, dir string, limit int64) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return err
	}
	var declared uint64
	for _, zf := range zr.File {
		declared += zf.UncompressedSize64
		if declared > uint64(limit) {
			return codeTooLarge()
		}
	}
	budget := limit
	for _, zf := range zr.File {
		target := filepath.Join(dir, zf.Name)
		if !strings.HasPrefix(target, filepath.Clean(dir)+string(os.PathSeparator)) {
			return fmt.Errorf("%q leaves the function directory", zf.Name)
		}
		if zf.FileInfo().IsDir() {
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		n, err := extract(zf, target, budget)
		if err != nil {
			return err
		}
		budget -= n
	}
	return nil
}

// extract writes one file of at most budget bytes and returns its size.
func extract(zf *zip.File, target string, budget int64) (int64, error) {
	rc, err := zf.Open()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	mode := zf.Mode().Perm() | 0o600
	out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return 0, err
	}
	// One byte more than the budget tells "exactly at the limit" from "over".
	n, err := io.Copy(out, io.LimitReader(rc, budget+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, err
	}
	if n > budget {
		return n, codeTooLarge()
	}
	return n, nil
}
