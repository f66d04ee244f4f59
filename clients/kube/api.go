package kube

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"
)

// API is all the stores ask of the API server: Secrets, ConfigMaps and
// Leases of a namespace, and of each only the verbs the package comment
// lists. Its methods have the signatures of client-go's typed clients
// (k8s.io/client-go/kubernetes/typed/...), which satisfy SecretsAPI,
// ConfigMapsAPI and LeasesAPI as they are.
//
// NewClient's API is client-go's REST client (k8s.io/client-go/rest) with a
// scheme of core/v1, coordination.k8s.io/v1 and the meta types only, rather
// than the typed clientset k8s.io/client-go/kubernetes: that one registers
// every API group of Kubernetes when the program starts, which every
// invocation of nexus-onboard paid for, Kubernetes or not. Errors are the
// API server's as client-go returns them (*errors.StatusError), so
// k8s.io/apimachinery/pkg/api/errors.IsNotFound and its kin tell them apart.
type API interface {
	Secrets(namespace string) SecretsAPI
	ConfigMaps(namespace string) ConfigMapsAPI
	Leases(namespace string) LeasesAPI
}

// SecretsAPI is what SecretStore does with Secrets.
type SecretsAPI interface {
	Get(ctx context.Context, name string, opts metav1.GetOptions) (*corev1.Secret, error)
	Create(ctx context.Context, secret *corev1.Secret, opts metav1.CreateOptions) (*corev1.Secret, error)
	Update(ctx context.Context, secret *corev1.Secret, opts metav1.UpdateOptions) (*corev1.Secret, error)
	Delete(ctx context.Context, name string, opts metav1.DeleteOptions) error
}

// ConfigMapsAPI is what StateStore does with ConfigMaps.
type ConfigMapsAPI interface {
	Get(ctx context.Context, name string, opts metav1.GetOptions) (*corev1.ConfigMap, error)
	Create(ctx context.Context, configMap *corev1.ConfigMap, opts metav1.CreateOptions) (*corev1.ConfigMap, error)
	Update(ctx context.Context, configMap *corev1.ConfigMap, opts metav1.UpdateOptions) (*corev1.ConfigMap, error)
	Delete(ctx context.Context, name string, opts metav1.DeleteOptions) error
	List(ctx context.Context, opts metav1.ListOptions) (*corev1.ConfigMapList, error)
}

// LeasesAPI is what StateStore.Lock does with Leases.
type LeasesAPI interface {
	Get(ctx context.Context, name string, opts metav1.GetOptions) (*coordinationv1.Lease, error)
	Create(ctx context.Context, lease *coordinationv1.Lease, opts metav1.CreateOptions) (*coordinationv1.Lease, error)
	Update(ctx context.Context, lease *coordinationv1.Lease, opts metav1.UpdateOptions) (*coordinationv1.Lease, error)
	Delete(ctx context.Context, name string, opts metav1.DeleteOptions) error
}

// codecs is the scheme of the few types the stores use, built on the first
// NewForConfig rather than when the program starts.
var codecs = sync.OnceValues(func() (serializer.CodecFactory, runtime.ParameterCodec) {
	scheme := runtime.NewScheme()
	// metav1.Status among them: the API server's refusals decode into
	// *errors.StatusError.
	metav1.AddToGroupVersion(scheme, schema.GroupVersion{Version: "v1"})
	utilruntime.Must(corev1.AddToScheme(scheme))
	utilruntime.Must(coordinationv1.AddToScheme(scheme))
	// As client-go's generated clients build theirs (CBOR only with its
	// feature gate on).
	return rest.CodecFactoryForGeneratedClient(scheme, serializer.NewCodecFactory(scheme)), runtime.NewParameterCodec(scheme)
})

// NewForConfig returns the API over cfg, as client-go's
// kubernetes.NewForConfig would build its clientset: one HTTP client (one
// connection pool, cfg's credentials, a token file re-read when it
// changes) for both API groups, and, when cfg sets QPS, one rate limiter.
func NewForConfig(cfg *rest.Config) (API, error) {
	c := *cfg
	if c.UserAgent == "" {
		c.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	httpClient, err := rest.HTTPClientFor(&c)
	if err != nil {
		return nil, err
	}
	if c.RateLimiter == nil && c.QPS > 0 {
		if c.Burst <= 0 {
			return nil, fmt.Errorf("burst is required to be greater than 0 when RateLimiter is not set and QPS is set to greater than 0")
		}
		c.RateLimiter = flowcontrol.NewTokenBucketRateLimiter(c.QPS, c.Burst)
	}
	codecFactory, params := codecs()
	restClient := func(apiPath string, gv schema.GroupVersion, h *http.Client) (*rest.RESTClient, error) {
		gc := c
		gc.APIPath = apiPath
		gc.GroupVersion = &gv
		gc.NegotiatedSerializer = codecFactory.WithoutConversion()
		return rest.RESTClientForConfigAndClient(&gc, h)
	}
	core, err := restClient("/api", corev1.SchemeGroupVersion, httpClient)
	if err != nil {
		return nil, err
	}
	coordination, err := restClient("/apis", coordinationv1.SchemeGroupVersion, httpClient)
	if err != nil {
		return nil, err
	}
	return &restAPI{core: core, coordination: coordination, params: params}, nil
}

type restAPI struct {
	core, coordination *rest.RESTClient
	params             runtime.ParameterCodec
}

func (a *restAPI) Secrets(namespace string) SecretsAPI {
	return &resource[*corev1.Secret, *corev1.SecretList]{a.core, a.params, namespace, "secrets",
		func() *corev1.Secret { return new(corev1.Secret) }, func() *corev1.SecretList { return new(corev1.SecretList) }}
}

func (a *restAPI) ConfigMaps(namespace string) ConfigMapsAPI {
	return &resource[*corev1.ConfigMap, *corev1.ConfigMapList]{a.core, a.params, namespace, "configmaps",
		func() *corev1.ConfigMap { return new(corev1.ConfigMap) }, func() *corev1.ConfigMapList { return new(corev1.ConfigMapList) }}
}

func (a *restAPI) Leases(namespace string) LeasesAPI {
	return &resource[*coordinationv1.Lease, *coordinationv1.LeaseList]{a.coordination, a.params, namespace, "leases",
		func() *coordinationv1.Lease { return new(coordinationv1.Lease) }, func() *coordinationv1.LeaseList { return new(coordinationv1.LeaseList) }}
}

// resource is one resource of a namespace: the requests client-go's typed
// clients (k8s.io/client-go/gentype) make, protobuf preferred as they
// prefer it for built-in types.
type resource[T interface {
	runtime.Object
	GetName() string
}, L runtime.Object] struct {
	client    *rest.RESTClient
	params    runtime.ParameterCodec
	namespace string
	resource  string
	newObject func() T
	newList   func() L
}

// on is req for this resource of this namespace.
func (r *resource[T, L]) on(req *rest.Request) *rest.Request {
	return req.UseProtobufAsDefault().NamespaceIfScoped(r.namespace, r.namespace != "").Resource(r.resource)
}

func (r *resource[T, L]) Get(ctx context.Context, name string, opts metav1.GetOptions) (T, error) {
	out := r.newObject()
	err := r.on(r.client.Get()).Name(name).VersionedParams(&opts, r.params).Do(ctx).Into(out)
	return out, err
}

func (r *resource[T, L]) Create(ctx context.Context, obj T, opts metav1.CreateOptions) (T, error) {
	out := r.newObject()
	err := r.on(r.client.Post()).VersionedParams(&opts, r.params).Body(obj).Do(ctx).Into(out)
	return out, err
}

func (r *resource[T, L]) Update(ctx context.Context, obj T, opts metav1.UpdateOptions) (T, error) {
	out := r.newObject()
	err := r.on(r.client.Put()).Name(obj.GetName()).VersionedParams(&opts, r.params).Body(obj).Do(ctx).Into(out)
	return out, err
}

func (r *resource[T, L]) Delete(ctx context.Context, name string, opts metav1.DeleteOptions) error {
	return r.on(r.client.Delete()).Name(name).Body(&opts).Do(ctx).Error()
}

func (r *resource[T, L]) List(ctx context.Context, opts metav1.ListOptions) (L, error) {
	var timeout time.Duration
	if opts.TimeoutSeconds != nil {
		timeout = time.Duration(*opts.TimeoutSeconds) * time.Second
	}
	out := r.newList()
	err := r.on(r.client.Get()).VersionedParams(&opts, r.params).Timeout(timeout).Do(ctx).Into(out)
	return out, err
}
