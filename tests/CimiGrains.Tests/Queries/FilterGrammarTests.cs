using CimiGrains.Grains.ReadModel;
using CimiGrains.ReadModel.Filter;

namespace CimiGrains.Tests.Queries;

/// <summary>The $filter / $orderby grammar: what parses to which tree, what is refused where, and that nothing reaches SQL text.</summary>
public sealed class FilterGrammarTests
{
    [Theory]
    [InlineData("state='STARTED'", "state = 'STARTED'")]
    [InlineData("state = \"STARTED\"", "state = 'STARTED'")]
    [InlineData("cpu>=2", "cpu >= 2")]
    [InlineData("cpu != -1", "cpu != -1")]
    [InlineData("2 < cpu", "cpu > 2")]
    [InlineData("4096 >= memory", "memory <= 4096")]
    [InlineData("'web' = name", "name = 'web'")]
    [InlineData("enabled=true", "enabled = true")]
    [InlineData("enabled!=false", "enabled != false")]
    [InlineData("created>2012-05-25", "created > 2012-05-25T00:00:00+00:00")]
    [InlineData("created<=2012-05-25T13:30:15.5-05:00", "created <= 2012-05-25T13:30:15.5-05:00")]
    [InlineData("machineConfig/href='machineConfigs/c1'", "machineConfig/href = 'machineConfigs/c1'")]
    [InlineData("property['owner']='ops'", "property['owner'] = 'ops'")]
    [InlineData("'ops'=property[\"owner\"]", "property['owner'] = 'ops'")]
    [InlineData("name='it\\'s'", "name = 'it\\'s'")]
    [InlineData("a=1 and b=2 or c=3", "((a = 1 and b = 2) or c = 3)")]
    [InlineData("a=1 or b=2 and c=3", "(a = 1 or (b = 2 and c = 3))")]
    [InlineData("(a=1 or b=2) and c=3", "((a = 1 or b = 2) and c = 3)")]
    [InlineData("a=1 and b=2 and c=3", "((a = 1 and b = 2) and c = 3)")]
    [InlineData("a=1 AND b=2 Or c=3", "((a = 1 and b = 2) or c = 3)")]
    [InlineData("((((a=1))))", "a = 1")]
    [InlineData("  state = 'STARTED'  ", "state = 'STARTED'")]
    public void Valid_expressions_parse_to_the_expected_tree(string filter, string tree)
    {
        Assert.Equal(tree, FilterParser.Parse(filter).ToString());
    }

    [Theory]
    [InlineData("", 1, "a comparison")]
    [InlineData("state=", 7, "a value")]
    [InlineData("state 'STARTED'", 7, "a comparison operator")]
    [InlineData("state=='x'", 7, "a value")]
    [InlineData("cpu>=2 and", 11, "an attribute name, a value or '('")]
    [InlineData("(cpu>=2", 8, "')'")]
    [InlineData("cpu>=2)", 7, "'and', 'or' or the end")]
    [InlineData("state='STARTED", 15, "a closing '")]
    [InlineData("cpu>=2x", 7, "a whole number")]
    [InlineData("cpu>=2.5", 7, "a whole number")]
    [InlineData("cpu ! 2", 5, "'!='")]
    [InlineData("not state='x'", 5, "a comparison operator")]
    [InlineData("state=STARTED", 7, "a value")]
    [InlineData("property['k']=1", 15, "a quoted string")]
    [InlineData("property[k]='v'", 10, "a quoted property key")]
    [InlineData("a/=1", 3, "an attribute name after '/'")]
    [InlineData("1=2", 3, "an attribute name")]
    [InlineData("created>2012-13-45", 9, "a valid date")]
    [InlineData("state='x'; DROP TABLE cimi_resource", 10, "an attribute, a value, an operator or a parenthesis")]
    [InlineData("state=x' OR '1'='1", 7, "a value")]
    [InlineData("name='x'' OR 1=1 --'", 9, "'and', 'or' or the end")]
    public void Invalid_expressions_are_refused_with_the_position_and_what_was_expected(string filter, int position, string expected)
    {
        var e = Assert.Throws<FilterSyntaxException>(() => FilterParser.Parse(filter));
        Assert.Equal(position, e.Position);
        Assert.Contains(expected, e.Expected);
        Assert.StartsWith($"$filter: at position {position}, expected ", e.Message);
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_refused_instead_of_exhausting_the_stack()
    {
        var deep = new string('(', FilterParser.MaxDepth + 1) + "a=1" + new string(')', FilterParser.MaxDepth + 1);
        var e = Assert.Throws<FilterSyntaxException>(() => FilterParser.Parse(deep));
        Assert.Contains("nested parentheses", e.Expected);
        Assert.Equal("a = 1", FilterParser.Parse(new string('(', FilterParser.MaxDepth) + "a=1" + new string(')', FilterParser.MaxDepth)).ToString());
    }

    [Fact]
    public void Overlong_expressions_are_refused()
    {
        var e = Assert.Throws<FilterSyntaxException>(() => FilterParser.Parse("name='" + new string('x', FilterTokenizer.MaxLength) + "'"));
        Assert.Contains("at most", e.Expected);
    }

    [Fact]
    public void Several_filters_combine_with_and()
    {
        Assert.Equal("(a = 1 and (b = 2 or c = 3))", FilterParser.ParseAll(["a=1", "b=2 or c=3"])!.ToString());
        Assert.Null(FilterParser.ParseAll([]));
    }

    [Theory]
    [InlineData("name", "name:asc")]
    [InlineData("name:desc", "name:desc")]
    [InlineData("state:asc, cpu:DESC,created", "state:asc|cpu:desc|created:asc")]
    [InlineData("property['owner']:desc", "property['owner']:desc")]
    [InlineData("machineConfig/href", "machineConfig/href:asc")]
    public void Orderby_parses_keys_and_directions(string orderBy, string expected)
    {
        Assert.Equal(expected, string.Join('|', FilterParser.ParseOrderBy(orderBy)));
    }

    [Theory]
    [InlineData("name:up", 6, "'asc' or 'desc'")]
    [InlineData("name,", 6, "an attribute name")]
    [InlineData("name desc", 6, "',' or ':asc'")]
    [InlineData("name; DROP TABLE x", 5, "an attribute, a value")]
    public void Bad_orderby_is_refused_with_the_position(string orderBy, int position, string expected)
    {
        var e = Assert.Throws<FilterSyntaxException>(() => FilterParser.ParseOrderBy(orderBy));
        Assert.Equal(position, e.Position);
        Assert.Contains(expected, e.Expected);
        Assert.StartsWith("$orderby:", e.Message);
    }

    [Theory]
    [InlineData("name='x\\' OR 1=1 --'")]
    [InlineData("name=\"'); DROP TABLE cimi_resource; --\"")]
    [InlineData("property['k\\'; DROP TABLE cimi_resource; --']='v'")]
    [InlineData("property['owner']='$1'")]
    [InlineData("description='\\\\'")]
    public void Values_and_property_keys_only_ever_become_parameters(string filter)
    {
        var node = FilterParser.Parse(filter);
        var sql = new FilterSql(2);
        var text = sql.Where(node);

        var values = Values(node).ToList();
        Assert.NotEmpty(values);
        foreach (var value in values) Assert.DoesNotContain(value, text);
        Assert.DoesNotContain("DROP", text);
        Assert.Equal(values, sql.Parameters.Select(p => p.Value!.ToString()!).Where(values.Contains));
    }

    /// <summary>The WHERE text of a filter, as the read model builds it after its two fixed parameters.</summary>
    private static string Sql(string filter) => new FilterSql(2).Where(FilterParser.Parse(filter));

    [Fact]
    public void Comparisons_are_typed_by_the_literal()
    {
        Assert.Contains("jsonb_typeof(doc->'capacity') = 'number'", Sql("capacity>=2"));
        Assert.Contains("::numeric", Sql("capacity>=2"));
        Assert.Contains("::boolean", Sql("enabled=true"));
        Assert.Contains("cimi_try_timestamptz(doc->>'timeOfStatusChange')", Sql("timeOfStatusChange>2024-01-01"));
        Assert.Equal("(created > $3)", Sql("created>2024-01-01"));
        Assert.Contains("jsonb_typeof(doc->'cpuArch') = 'string'", Sql("cpuArch='x86_64'"));
        Assert.Equal("(doc->'machineConfig'->>'href' = $3 AND jsonb_typeof(doc->'machineConfig'->'href') = 'string')", Sql("machineConfig/href='x'"));
    }

    [Fact]
    public void Hot_attributes_compare_through_the_typed_columns_of_schema_006_only_for_their_json_type()
    {
        Assert.Equal("(doc_state = $3)", Sql("state='STARTED'"));
        Assert.Equal("(doc_state <> $3)", Sql("state!='STARTED'"));
        Assert.Equal("(doc_cpu >= $3)", Sql("cpu>=4"));
        Assert.Equal("(doc_memory < $3)", Sql("memory<1024"));
        // Another literal type keeps the generic typed comparison (which never matches those columns' type).
        Assert.Contains("jsonb_typeof(doc->'cpu') = 'string'", Sql("cpu='4'"));
        Assert.Contains("jsonb_typeof(doc->'state') = 'number'", Sql("state=1"));
        // Nested attributes of the same name are not the typed columns.
        Assert.DoesNotContain("doc_state", Sql("machineConfig/state='x'"));
    }

    [Theory]
    [InlineData("state='STARTED' and cpu>=4", true)]
    [InlineData("(cpu=1 or memory<2) and state!='ERROR'", true)]
    [InlineData("state='STARTED' and name='x'", false)]
    [InlineData("cpu>=4 or property['a']='b'", false)]
    [InlineData("cpu='4'", false)]
    public void Only_filters_on_typed_columns_alone_can_be_counted_from_the_facets(string filter, bool typedOnly)
    {
        var sql = new FilterSql(2);
        sql.Where(FilterParser.Parse(filter));
        Assert.Equal(typedOnly, sql.UsesOnlyTypedColumns);
    }

    private static IEnumerable<string> Values(FilterNode node) => node switch
    {
        LogicalNode l => Values(l.Left).Concat(Values(l.Right)),
        ComparisonNode c => new[] { c.Attribute.PropertyKey, c.Value.Value.ToString() }.OfType<string>().Where(v => v.Length > 0),
        _ => [],
    };
}
