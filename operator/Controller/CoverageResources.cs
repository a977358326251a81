using GuardDutyCoverage.Api;
using GuardDutyCoverage.Runtime;

namespace GuardDutyCoverage.Controller;

public static class CoverageResources
{
    public static ResourceType<V1Alpha1GuardDutyCoverage> Coverages { get; } = new(
        V1Alpha1GuardDutyCoverage.Group,
        V1Alpha1GuardDutyCoverage.Version,
        V1Alpha1GuardDutyCoverage.Plural,
        V1Alpha1GuardDutyCoverage.KindName,
        namespaced: false,
        ApiJsonContext.Default.V1Alpha1GuardDutyCoverage);
}
