using System.Reflection;
using System.Reflection.Emit;
using GuardDutyCoverage.Runtime;

namespace GuardDutyCoverage.Tests.Runtime;

/// <summary>The runtime knows Kubernetes and nothing of GuardDuty: no signature and no method body may touch those parts.</summary>
public sealed class DomainFreeTests
{
    private static readonly string[] Forbidden = ["GuardDutyCoverage.Diagnosis", "GuardDutyCoverage.Aws", "GuardDutyCoverage.Controller", "GuardDutyCoverage.Api", "GuardDutyCoverage.Cli"];

    private static readonly Dictionary<short, OpCode> OpCodes = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    [Fact]
    public void NoRuntimeTypeReferencesTheDomain()
    {
        var runtimeTypes = typeof(Informer<>).Assembly.GetTypes()
            .Where(t => t.Namespace == "GuardDutyCoverage.Runtime")
            .ToList();
        Assert.Contains(typeof(Manager), runtimeTypes);

        var violations = new List<string>();
        foreach (var type in runtimeTypes)
        {
            foreach (var referenced in Referenced(type))
            {
                if (IsForbidden(referenced))
                {
                    violations.Add($"{type.FullName} -> {referenced.FullName}");
                }
            }
        }

        Assert.Empty(violations);
    }

    [Fact]
    public void TheScannerSeesMethodBodies()
    {
        // Guard against a scanner that finds nothing: a type of this test assembly that uses the Api in a body only.
        Assert.Contains(Referenced(typeof(UsesApiInBody)), t => t.Namespace == "GuardDutyCoverage.Api");
    }

    private static bool IsForbidden(Type type) =>
        type.Namespace is { } ns && Forbidden.Any(f => ns == f || ns.StartsWith(f + ".", StringComparison.Ordinal));

    private static IEnumerable<Type> Referenced(Type type)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var found = new HashSet<Type>();
        void Add(Type? t)
        {
            if (t is null || !found.Add(t))
            {
                return;
            }

            if (t.HasElementType)
            {
                Add(t.GetElementType());
            }

            if (t.IsGenericType && !t.IsGenericTypeDefinition)
            {
                foreach (var argument in t.GetGenericArguments())
                {
                    Add(argument);
                }
            }
        }

        Add(type.BaseType);
        foreach (var i in type.GetInterfaces())
        {
            Add(i);
        }

        foreach (var field in type.GetFields(all))
        {
            Add(field.FieldType);
        }

        foreach (var property in type.GetProperties(all))
        {
            Add(property.PropertyType);
        }

        foreach (var method in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
        {
            if (method is MethodInfo info)
            {
                Add(info.ReturnType);
            }

            foreach (var parameter in method.GetParameters())
            {
                Add(parameter.ParameterType);
            }

            foreach (var token in BodyTokens(method))
            {
                try
                {
                    var member = type.Module.ResolveMember(token, type.IsGenericType ? type.GetGenericArguments() : null, method.IsGenericMethod ? method.GetGenericArguments() : null);
                    switch (member)
                    {
                        case Type t:
                            Add(t);
                            break;
                        case MethodBase m:
                            Add(m.DeclaringType);
                            if (m is MethodInfo mi)
                            {
                                Add(mi.ReturnType);
                            }

                            foreach (var p in m.GetParameters())
                            {
                                Add(p.ParameterType);
                            }

                            break;
                        case FieldInfo f:
                            Add(f.DeclaringType);
                            Add(f.FieldType);
                            break;
                    }
                }
                catch (ArgumentException)
                {
                    // A string or signature token: not a member.
                }
            }
        }

        return found;
    }

    /// <summary>The metadata tokens in a method body's IL (operands of call, newobj, ldfld, ldtoken, castclass, …).</summary>
    private static IEnumerable<int> BodyTokens(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
        {
            yield break;
        }

        var position = 0;
        while (position < il.Length)
        {
            short value = il[position++];
            if (value == 0xFE)
            {
                value = (short)(0xFE00 | il[position++]);
            }

            var opcode = OpCodes[value];
            switch (opcode.OperandType)
            {
                case OperandType.InlineMethod:
                case OperandType.InlineField:
                case OperandType.InlineType:
                case OperandType.InlineTok:
                    yield return BitConverter.ToInt32(il, position);
                    position += 4;
                    break;
                case OperandType.InlineSwitch:
                    var count = BitConverter.ToInt32(il, position);
                    position += 4 + (4 * count);
                    break;
                case OperandType.InlineI8:
                case OperandType.InlineR:
                    position += 8;
                    break;
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget:
                case OperandType.ShortInlineI:
                case OperandType.ShortInlineVar:
                    position += 1;
                    break;
                case OperandType.InlineVar:
                    position += 2;
                    break;
                default:
                    position += 4;
                    break;
            }
        }
    }

    private static class UsesApiInBody
    {
        public static string Name() => GuardDutyCoverage.Api.V1Alpha1GuardDutyCoverage.ApiVersionValue.ToUpperInvariant() + new GuardDutyCoverage.Api.V1Alpha1GuardDutyCoverage().Kind;
    }
}
