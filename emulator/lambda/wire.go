package lambda

import (
	"encoding/json"
	"net/http"
	"runtime"
	"strings"
)

// The REST-JSON wire of the Lambda API: routes, request and response shapes
// (named and tagged as in the API), and errors.

const (
	apiPrefix = "/2015-03-31/functions"
	// maxPayload is Lambda's limit on a synchronous invocation's payload.
	maxPayload = 6 << 20
)

// route names the operation of a request and the FunctionName in its path.
func route(r *http.Request) (operation, functionName string) {
	path := r.URL.Path
	if !strings.HasPrefix(path, apiPrefix) {
		return "", ""
	}
	rest := strings.Trim(strings.TrimPrefix(path, apiPrefix), "/")
	if strings.HasPrefix(path, apiPrefix+"/") || rest == "" {
		parts := strings.Split(rest, "/")
		switch {
		case rest == "" && r.Method == http.MethodGet:
			return "ListFunctions", ""
		case rest == "" && r.Method == http.MethodPost:
			return "CreateFunction", ""
		case len(parts) == 1 && r.Method == http.MethodGet:
			return "GetFunction", parts[0]
		case len(parts) == 1 && r.Method == http.MethodDelete:
			return "DeleteFunction", parts[0]
		case len(parts) == 2 && parts[1] == "invocations" && r.Method == http.MethodPost:
			return "Invoke", parts[0]
		case len(parts) == 2 && parts[1] == "configuration" && r.Method == http.MethodGet:
			return "GetFunctionConfiguration", parts[0]
		}
	}
	return "", ""
}

type environmentResponse struct {
	Variables map[string]string `json:"Variables,omitempty"`
}

type ephemeralStorage struct {
	Size int `json:"Size"`
}

type functionConfiguration struct {
	FunctionName     string               `json:"FunctionName"`
	FunctionArn      string               `json:"FunctionArn"`
	Runtime          string               `json:"Runtime"`
	Role             string               `json:"Role"`
	Handler          string               `json:"Handler"`
	CodeSize         int64                `json:"CodeSize"`
	Description      string               `json:"Description"`
	Timeout          int                  `json:"Timeout"`
	MemorySize       int                  `json:"MemorySize"`
	LastModified     string               `json:"LastModified"`
	CodeSha256       string               `json:"CodeSha256"`
	Version          string               `json:"Version"`
	Environment      *environmentResponse `json:"Environment,omitempty"`
	State            string               `json:"State"`
	LastUpdateStatus string               `json:"LastUpdateStatus"`
	PackageType      string               `json:"PackageType"`
	Architectures    []string             `json:"Architectures"`
	EphemeralStorage ephemeralStorage     `json:"EphemeralStorage"`
}

type functionCodeLocation struct {
	RepositoryType string `json:"RepositoryType"`
	Location       string `json:"Location"`
}

type getFunctionOutput struct {
	Configuration functionConfiguration `json:"Configuration"`
	Code          functionCodeLocation  `json:"Code"`
	Tags          map[string]string     `json:"Tags,omitempty"`
}

type listFunctionsOutput struct {
	Functions  []functionConfiguration `json:"Functions"`
	NextMarker string                  `json:"NextMarker,omitempty"`
}

type functionCode struct {
	ZipFile  []byte `json:"ZipFile"`
	S3Bucket string `json:"S3Bucket"`
	ImageURI string `json:"ImageUri"`
}

type createFunctionInput struct {
	FunctionName string       `json:"FunctionName"`
	Runtime      string       `json:"Runtime"`
	Role         string       `json:"Role"`
	Handler      string       `json:"Handler"`
	Code         functionCode `json:"Code"`
	Description  string       `json:"Description"`
	Timeout      int          `json:"Timeout"`
	MemorySize   int          `json:"MemorySize"`
	PackageType  string       `json:"PackageType"`
	Environment  struct {
		Variables map[string]string `json:"Variables"`
	} `json:"Environment"`
	Tags map[string]string `json:"Tags"`
}

// apiError is an error in Lambda's REST-JSON shape: the code in the
// X-Amzn-ErrorType header, "Type" (User or Service) and "message" in the
// body.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func (s *Service) notFound(name string) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: "ResourceNotFoundException", Message: "Function not found: " + name}
}

func invalidParameter(msg string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "InvalidParameterValueException", Message: msg}
}

func serviceError(msg string) *apiError {
	return &apiError{Status: http.StatusInternalServerError, Code: "ServiceException", Message: msg}
}

func writeAPIError(w http.ResponseWriter, e *apiError) {
	kind := "User"
	if e.Status >= 500 {
		kind = "Service"
	}
	body, _ := json.Marshal(struct {
		Type    string `json:"Type"`
		Message string `json:"message"`
	}{kind, e.Message})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeAPIError(w, serviceError("encoding response: "+err.Error()))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func architecture() string {
	if runtime.GOARCH == "arm64" {
		return "arm64"
	}
	return "x86_64"
}
