// The host agent arrives with the agents issue; until then this process only reports that it has no
// cluster connection to make, so that nobody mistakes it for a working agent.
Console.Error.WriteLine("CimiGrains agent: not implemented yet (see the host agents issue).");
return 2;
