package main

import (
	"maps"
	"testing"
)

func TestQuietSDKLogs(t *testing.T) {
	off := map[string]string{"TF_LOG_SDK_FRAMEWORK": "off", "TF_LOG_SDK_PROTO": "off"}
	for _, tc := range []struct {
		env  []string
		want map[string]string
	}{
		{nil, off},
		{[]string{"PATH=/bin", "REGFISH_API_KEY=x", "TF_CLI_CONFIG_FILE=/x"}, off},
		{[]string{"TF_LOG=TRACE"}, nil},
		{[]string{"TF_LOG_PROVIDER=INFO"}, nil},
		{[]string{"TF_LOG_PATH=/tmp/tf.log"}, nil},
		{[]string{"TF_LOG_SDK_FRAMEWORK=DEBUG"}, nil},
		{[]string{"TF_LOG_PROVIDER_REGFISH=DEBUG"}, nil},
	} {
		if got := quietSDKLogs(tc.env); !maps.Equal(got, tc.want) {
			t.Errorf("%v: got %v, want %v", tc.env, got, tc.want)
		}
	}
}
