package emulator

import (
	"errors"
	"fmt"
	"net/http"
)

// AWSError is a refusal in EC2's dialect: fakeaws renders it as an <Errors> document with this
// code, message and HTTP status. Model operations on the AWS side return it.
type AWSError struct {
	Code    string // e.g. InvalidVpcID.NotFound
	Message string
	Status  int // HTTP status; 0 means 400
}

func (e *AWSError) Error() string { return "emulator: " + e.Code + ": " + e.Message }

// HTTPStatus is the status the error is served with.
func (e *AWSError) HTTPStatus() int {
	if e.Status == 0 {
		return http.StatusBadRequest
	}
	return e.Status
}

// AWSErr builds an AWSError with a formatted message.
func AWSErr(code, format string, args ...any) *AWSError {
	return &AWSError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// HerokuError is a refusal in the Heroku Platform API's dialect: {"id","message"} with a status.
type HerokuError struct {
	Status  int    // HTTP status
	ID      string // e.g. not_found, invalid_params
	Message string
}

func (e *HerokuError) Error() string { return "emulator: " + e.ID + ": " + e.Message }

// HerokuErr builds a HerokuError with a formatted message.
func HerokuErr(status int, id, format string, args ...any) *HerokuError {
	return &HerokuError{Status: status, ID: id, Message: fmt.Sprintf(format, args...)}
}

// AsAWS reports whether err is (or wraps) an AWSError.
func AsAWS(err error) (*AWSError, bool) {
	var e *AWSError
	ok := errors.As(err, &e)
	return e, ok
}

// AsHeroku reports whether err is (or wraps) a HerokuError.
func AsHeroku(err error) (*HerokuError, bool) {
	var e *HerokuError
	ok := errors.As(err, &e)
	return e, ok
}
