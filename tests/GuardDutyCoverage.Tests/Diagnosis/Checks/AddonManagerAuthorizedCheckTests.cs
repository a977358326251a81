using GuardDutyCoverage.Api;
using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Diagnosis.Checks;
using static GuardDutyCoverage.Tests.Diagnosis.Checks.CheckHarness;

namespace GuardDutyCoverage.Tests.Diagnosis.Checks;

public sealed class AddonManagerAuthorizedCheckTests
{
    [Fact]
    public void AllowedAddonManagerIsTheHealthyNote()
    {
        var context = Run<AddonManagerAuthorizedCheck>(new SnapshotBuilder());
        Assert.Empty(context.Observations);
        Assert.Equal("AddonManagerAllowed", SingleNote(context, CheckTypes.AddonManagerAuthorized).Reason);
    }

    [Fact]
    public void NeitherBindingsNorAccessReviewsIsNotObserved()
    {
        var builder = new SnapshotBuilder { AccessReviews = null };
        var snapshot = builder.Build() with { UnobservedKinds = new HashSet<string>(StringComparer.Ordinal) { SnapshotKinds.ClusterRoleBinding } };
        var context = new DiagnosisContext(snapshot);
        Check<AddonManagerAuthorizedCheck>().Run(context);
        var note = SingleNote(context, CheckTypes.AddonManagerAuthorized);
        Assert.Equal((ConditionStatus.Unknown, ConditionReasons.NotObserved), (note.Status, note.Reason));
    }

    [Fact]
    public void DeniedAccessReviewIsItsRow()
    {
        var builder = new SnapshotBuilder { Bindings = [] };
        builder.AccessReviews = builder.AccessReviews!.Select(r => r with { Allowed = false, Reason = "" }).ToList();
        var context = Run<AddonManagerAuthorizedCheck>(builder);
        Assert.Equal([ReasonCodes.AddonManagerForbidden], Reasons(context));
    }
}
